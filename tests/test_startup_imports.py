"""What `python -m bot run` loads at start-up: not the staff-only editing libraries, which would sit in the memory
of every process (about 8 MiB of its idle RSS) for commands most processes never see; they load on first use."""

import json
import subprocess
import sys

STAFF_ONLY = ("openpyxl", "ruamel", "defusedxml")


def test_the_bot_starts_without_the_staff_only_editing_libraries() -> None:
    probe = (
        "import json, sys\n"
        "import bot.cli, bot.telegram.service\n"  # what `python -m bot run` imports before it serves
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(run.stdout)
    assert "telegram" in loaded and "bot" in loaded  # the probe did import the bot
    assert not set(STAFF_ONLY) & set(loaded)
