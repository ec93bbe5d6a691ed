"""The pyspy-sh demo target: a small "service" with named threads doing
recognisable work, so there is something worth looking at.

  MainThread     waits for a shutdown event
  cruncher       burns CPU finding primes (active, usually holds the GIL)
  downloader-1/2 pretend to fetch URLs (sleeping in socket-like waits)
  queue-worker   waits on a queue for jobs
  lock-waiter    stuck behind a lock that MainThread holds

Runs on Python 2.7 and 3.x.  Writes its pid to the file given as argv[1]
once every thread is running.
"""
import sys
import threading
import time

try:
    import queue
except ImportError:  # Python 2
    import Queue as queue

shutdown = threading.Event()
jobs = queue.Queue()
big_lock = threading.Lock()


def is_prime(n):
    if n < 2:
        return False
    d = 2
    while d * d <= n:
        if n % d == 0:
            return False
        d += 1
    return True


def crunch_primes():
    found = 0
    n = 10 ** 6
    while not shutdown.is_set():
        if is_prime(n):
            found += 1
        n += 1


class Downloader(object):
    def __init__(self, urls):
        self.urls = urls

    def fetch(self, url):
        time.sleep(0.5)  # stands in for network I/O
        return len(url)

    def run(self):
        while not shutdown.is_set():
            for url in self.urls:
                self.fetch(url)


def work_queue():
    while not shutdown.is_set():
        job = jobs.get()
        if job is None:
            return


def wait_for_lock():
    with big_lock:
        pass


def main():
    big_lock.acquire()
    threads = [
        threading.Thread(target=crunch_primes, name="cruncher"),
        threading.Thread(target=Downloader(["https://example.org/a"]).run, name="downloader-1"),
        threading.Thread(target=Downloader(["https://example.org/b"]).run, name="downloader-2"),
        threading.Thread(target=work_queue, name="queue-worker"),
        threading.Thread(target=wait_for_lock, name="lock-waiter"),
    ]
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(0.3)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write("ready\n")
    while not shutdown.wait(1.0):
        pass


if __name__ == "__main__":
    main()
