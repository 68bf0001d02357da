"""The floors a check is measured against: the same conditional GETs with nothing else.

    python bench/floors.py ceiling PATHS_FILE CONNECTIONS PORT   # raw sockets: the server's limit
    python bench/floors.py async URLS_FILE CONCURRENCY          # bare httpx.AsyncClient
    python bench/floors.py sync URLS_FILE THREADS               # bare httpx.Client, thread pool

Each learns the ETags with one pass, then times a second pass where every answer is a 304,
and prints `wall_s cpu_s` for that pass (the ceiling prints requests a second). The async
floor is the request path `monitor/fetch.py` was built on; the sync floor is a plain
`httpx.Client` shared by a small thread pool, the cheaper path issue 14 proposes.
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LIMITS = {"max_connections": 16, "max_keepalive_connections": 8}


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def ceiling(paths: list[str], conns: int, port: int) -> None:
    async def worker(part: list[str], etags: dict[str, str]) -> None:
        r, w = await asyncio.open_connection("127.0.0.1", port)
        for path in part:
            tag = etags.get(path)
            cond = f"If-None-Match: {tag}\r\n" if tag else ""
            w.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{cond}\r\n".encode())
            head = (await r.readuntil(b"\r\n\r\n")).decode()
            size = 0
            for line in head.split("\r\n"):
                k, _, v = line.partition(":")
                if k.lower() == "content-length":
                    size = int(v)
                if k.lower() == "etag":
                    etags[path] = v.strip()
            if size:
                await r.readexactly(size)
        w.close()

    async def main() -> None:
        etags: dict[str, str] = {}
        parts = [paths[i::conns] for i in range(conns)]
        await asyncio.gather(*(worker(p, etags) for p in parts))  # learn the ETags
        t = time.perf_counter()
        await asyncio.gather(*(worker(p, etags) for p in parts))  # conditional: all 304
        print(len(paths) / (time.perf_counter() - t))

    asyncio.run(main())


def async_floor(urls: list[str], conc: int) -> None:
    import httpx

    async def main() -> None:
        sem, etags = asyncio.Semaphore(conc), {}
        limits = httpx.Limits(**LIMITS)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def get(u: str) -> None:
                async with sem:
                    h = {"If-None-Match": etags[u]} if u in etags else {}
                    r = await client.get(u, headers=h)
                    etags[u] = r.headers.get("ETag", "")

            await asyncio.gather(*(get(u) for u in urls))
            c0, t = _cpu(), time.perf_counter()
            await asyncio.gather(*(get(u) for u in urls))
            print(time.perf_counter() - t, _cpu() - c0)

    asyncio.run(main())


def sync_floor(urls: list[str], threads: int) -> None:
    import httpx

    etags: dict[str, str] = {}
    with httpx.Client(limits=httpx.Limits(**LIMITS), timeout=30) as client:

        def get(u: str) -> None:
            h = {"If-None-Match": etags[u]} if u in etags else {}
            r = client.get(u, headers=h)
            etags[u] = r.headers.get("ETag", "")

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(get, urls))
            c0, t = _cpu(), time.perf_counter()
            list(pool.map(get, urls))
            print(time.perf_counter() - t, _cpu() - c0)


def main() -> None:
    kind, listing = sys.argv[1], Path(sys.argv[2]).read_text().split()
    run: dict[str, Callable[[], None]] = {
        "ceiling": lambda: ceiling(listing, int(sys.argv[3]), int(sys.argv[4])),
        "async": lambda: async_floor(listing, int(sys.argv[3])),
        "sync": lambda: sync_floor(listing, int(sys.argv[3])),
    }
    run[kind]()


if __name__ == "__main__":
    main()
