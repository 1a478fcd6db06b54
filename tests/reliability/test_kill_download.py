"""A download killed half-way (SIGKILL of the whole run) leaves nothing that the next run
takes as complete, and the rerun fetches the file again and finishes.

The raw file comes from a local HTTP server (``download_base_url``) that sends half of it,
signals, and then stalls, so the kill lands inside the transfer on every run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attrobust import utils

from _reliability import (LOCK_MESSAGE, incomplete_outputs, make_repo, shoppers_csv, small_config,
                          snakemake, snakemake_cmd, temp_files, wait_for_no_process_in)

NAME, FILE = "online_shoppers", "online_shoppers_intention.csv"  # unpinned: any content


class Server:
    """Serves FILE; while ``stall`` is set, sends half of it, sets ``half_sent`` and waits."""

    def __init__(self, body: bytes):
        self.body, self.half_sent, self.stall = body, threading.Event(), threading.Event()
        self.release = threading.Event()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests += 1
                if self.path.rsplit("/", 1)[-1] != FILE:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                half = len(server.body) // 2
                self.wfile.write(server.body[:half])
                self.wfile.flush()
                if server.stall.is_set():
                    server.half_sent.set()
                    server.release.wait(60)
                    return
                self.wfile.write(server.body[half:])

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def killed_download(tmp_path_factory):
    body = shoppers_csv()
    server = Server(body)
    server.stall.set()
    conf = small_config(download_base_url=server.url)
    conf["datasets"][NAME] = {"scaling": "minmax"}
    repo = make_repo(tmp_path_factory.mktemp("download"), conf)
    target = f"results/data/{NAME}.npz"
    try:
        proc = subprocess.Popen(snakemake_cmd("--cores", "1", target), cwd=repo,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        hit = server.half_sent.wait(120)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_for_no_process_in(repo)
        raw = repo / "resources" / NAME
        after_kill = {
            "hit": hit,
            "files": sorted(p.name for p in raw.iterdir()) if raw.is_dir() else [],
            "marked": incomplete_outputs(repo),
        }
        server.stall.clear()
        server.release.set()
        rerun = snakemake(repo, "--cores", "1", target, check=False)
        if rerun.returncode and LOCK_MESSAGE in rerun.stdout + rerun.stderr:
            snakemake(repo, "--unlock")  # plain snakemake: make figures would clear it
            rerun = snakemake(repo, "--cores", "1", target, check=False)
    finally:
        server.close()
    return {"repo": repo, "body": body, "after_kill": after_kill, "rerun": rerun,
            "requests": server.requests}


@pytest.mark.e2e
def test_kill_landed_inside_the_transfer(killed_download):
    k = killed_download["after_kill"]
    assert k["hit"], "the download never started"
    # only the half-written temp file of attrobust.utils.atomic_path, never the file itself
    # or the SHA256SUMS that marks a complete fetch
    assert FILE not in k["files"] and "SHA256SUMS" not in k["files"], k["files"]
    assert f"resources/{NAME}" in k["marked"]  # the download's output directory, flagged


@pytest.mark.e2e
def test_rerun_fetches_again_and_finishes(killed_download):
    res, repo = killed_download["rerun"], killed_download["repo"]
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-5000:]
    assert killed_download["requests"] == 2
    assert (repo / "resources" / NAME / FILE).read_bytes() == killed_download["body"]
    assert temp_files(repo) == [] and incomplete_outputs(repo) == set()
    d = utils.load_npz(repo / f"results/data/{NAME}.npz")
    assert len(d["y_train"]) + len(d["y_test"]) == 2000
