"""Deadline reminders and announcements: what is due (pure, clock injected) and the resumable delivery engine."""

from bot.reminders.delivery import DeliveryEngine, DeliveryStats, Pacing
from bot.reminders.schedule import DEFAULT_OFFSETS, DueReminder, changed_deadlines, due_reminders

__all__ = [
    "DEFAULT_OFFSETS",
    "DeliveryEngine",
    "DeliveryStats",
    "DueReminder",
    "Pacing",
    "changed_deadlines",
    "due_reminders",
]
