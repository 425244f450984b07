"""ministack for `sluice-local up`: its state kept across restarts, and safe from a hard kill.

ministack saves every service's state on a clean shutdown when PERSIST_STATE=1 (into STATE_DIR) and keeps S3 object
data on disk when S3_PERSIST=1 (S3_DATA_DIR). A hard kill (SIGKILL, a crash, the machine going down) would lose
everything since the last start, so this also takes a snapshot every SLUICE_SNAPSHOT_SECONDS (default 5): a hard kill
loses at most the changes of that last interval. Each service's file is replaced atomically by ministack itself.
A snapshot that meets a service mid-change skips that service until the next one.
"""
import logging
import os
import sys
import threading
import time

from ministack import app as ministack


def snapshots(interval):
    log = logging.getLogger("sluice-snapshots")
    while True:
        time.sleep(interval)
        try:
            ministack.save_all(ministack._build_persistence_save_dict())
        except Exception as e:  # the next snapshot tries again; a clean shutdown saves anyway
            log.warning("snapshot failed: %s", e)


if __name__ == "__main__":
    if os.environ.get("PERSIST_STATE") != "1":
        sys.exit("ministack_persistent.py needs PERSIST_STATE=1 and STATE_DIR")
    # One line per service per snapshot would bury the emulator's own log; failures still show.
    logging.getLogger("persistence").setLevel(logging.WARNING)
    interval = float(os.environ.get("SLUICE_SNAPSHOT_SECONDS", "5"))
    threading.Thread(target=snapshots, args=(interval,), name="snapshots", daemon=True).start()
    sys.exit(ministack.main())
