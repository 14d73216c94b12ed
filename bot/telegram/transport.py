"""The HTTP client the bot talks to the Bot API with: aiohttp, behind python-telegram-bot's `BaseRequest`.

python-telegram-bot's default, httpx, spends more CPU per call than everything the bot does for an answer (about
1.5 ms of a 4 ms update under load, measured with py-spy by benchmarks/load.py): its connection pool and its anyio
layers run a lot of Python per request. aiohttp does the same work mostly in C. The request is sent exactly as
httpx sends it (the same form fields, multipart for files, the same User-Agent, the environment's proxies), and its
failures become the same `TimedOut` and `NetworkError`, so nothing above this module can tell the two apart.
"""

import asyncio
from typing import Any
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one aiohttp session, opened by `initialize` and closed by `shutdown`.

    The timeouts mean what they mean for python-telegram-bot's HTTPXRequest: `pool` waiting for a free connection
    (one of `connection_pool_size`, held until the answer is read), `connect` opening one, `read` waiting for the
    answer; `write` (sending the request) has no separate clock in aiohttp, so it is added to the call's overall
    limit, which is the sum of the three.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._env_proxies: dict[str, str] = {}
        self._proxy_of_origin: dict[str, str | None] = {}
        self._free = asyncio.Semaphore(connection_pool_size)  # made again with each session, in its event loop

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._free = asyncio.Semaphore(self._pool_size)
            connector = aiohttp.TCPConnector(limit=0)  # the pool's limit is `_free`, which has its own timeout
            # The Bot API sets no cookies: none are kept. The environment's proxies are read here, once, as
            # python-telegram-bot's httpx client reads them when it is made (aiohttp's trust_env would read them,
            # and ~/.netrc, on every request: measured, 0.4 ms of CPU each).
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), headers={"User-Agent": self.USER_AGENT}
            )
            self._env_proxies = getproxies()
            self._proxy_of_origin = {}

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        timeout = self._timeout(
            read=self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
            write=(
                (self._media_write_timeout if files else self._write_timeout)
                if isinstance(write_timeout, DefaultValue)
                else write_timeout
            ),
            connect=self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout,
        )
        body = _multipart(fields, files) if files else fields
        await self._take_connection(self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout)
        try:
            async with self._session.request(
                method, url, data=body, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts (and asyncio's, in 3.11) are TimeoutErrors
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        finally:
            self._free.release()

    def _proxy(self, url: str) -> str | None:
        """The proxy for `url` from HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, unless NO_PROXY exempts its host."""
        if not self._env_proxies:
            return None
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]  # scheme://host[:port]
        if origin not in self._proxy_of_origin:
            scheme, _, host = origin.partition("://")
            exempt = proxy_bypass(host.rsplit(":", 1)[0] if host.count(":") == 1 else host)
            chosen = self._env_proxies.get(scheme) or self._env_proxies.get("all")
            self._proxy_of_origin[origin] = None if exempt else chosen
        return self._proxy_of_origin[origin]

    async def _take_connection(self, pool_timeout: float | None) -> None:
        """Wait for one of the pool's connections; TimedOut if none is free within `pool_timeout` (the request was
        not sent, as its cause, a connection timeout, says)."""
        if not self._free.locked():
            await self._free.acquire()  # returns at once
            return
        try:
            async with asyncio.timeout(pool_timeout):
                await self._free.acquire()
        except TimeoutError:
            waited = aiohttp.ConnectionTimeoutError(f"no free connection within {pool_timeout} s")
            raise TimedOut("Pool timeout: all connections in the pool are busy; the request was not sent") from waited

    @staticmethod
    def _timeout(*, read: float | None, write: float | None, connect: float | None) -> aiohttp.ClientTimeout:
        limits = (read, write, connect)
        total = None if any(limit is None for limit in limits) else sum(limit or 0.0 for limit in limits)
        return aiohttp.ClientTimeout(
            total=total,
            connect=connect,
            sock_connect=connect,
            sock_read=read,
        )


def _multipart(fields: dict[str, str] | None, files: dict[str, Any]) -> aiohttp.FormData:
    """The request's fields and files as multipart/form-data, as httpx sends them (python-telegram-bot's layout)."""
    form = aiohttp.FormData(quote_fields=False)
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
