"""Progress on stderr: a tqdm bar on a real terminal (a pty), plain lines in a pipe, nothing on stdout."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

SCRIPT = """\
import sys, time
from zoo.progress import Progress
with Progress("swap", 3, unit="face", line_every=0) as bar:
    for _ in range(3):
        time.sleep(0.05)
        bar.update(faces_done=1)
with Progress("train", 4, unit="step", line_every=None) as bar:
    for step in range(4):
        bar.update()
        if step % 2 == 1:
            bar.report(loss="0.5000")
print("result on stdout")
"""


def test_a_pipe_gets_plain_lines_on_stderr_and_stdout_stays_the_result() -> None:
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    assert result.stdout == "result on stdout\n"
    assert result.stderr.splitlines() == [
        "swap: 1/3 faces  faces_done 1",
        "swap: 2/3 faces  faces_done 1",
        "swap: 3/3 faces  faces_done 1",
        "train: 2/4 steps  loss 0.5000",  # line_every=None: only the stage's own log interval prints
        "train: 4/4 steps  loss 0.5000",
    ]
    assert "\r" not in result.stderr


def test_a_terminal_gets_a_tqdm_bar() -> None:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=follower, stdout=subprocess.PIPE,
                               stderr=follower, text=True)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the pty closes when the process exits
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0
    text = shown.decode()
    assert "\r" in text and "swap: 100%" in text and "3/3" in text and "loss=0.5000" in text
    assert "swap: 1/3 faces" not in text  # no plain lines on a terminal


def test_zoo_detect_on_several_images_counts_them(assets: Path, tmp_path: Path) -> None:
    wild = assets / "faces" / "wild"
    weights = assets / "weights" / "retinaface_mobilenet0.25.safetensors"
    command = [sys.executable, "-m", "zoo", "detect", str(wild / "two_people.jpg"), str(wild / "dogs_no_face.jpg"),
               "--detector", "retinaface", "-a", "body=mobilenet0.25", "-a", f"weights={weights}", "-a", "max_size=640"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "detect: 2/2 images  faces 2" in result.stderr.splitlines()
    assert result.stdout.startswith(f"{wild / 'two_people.jpg'}: 2 faces\n")


def test_zoo_info_says_it_is_loading_before_the_import() -> None:
    result = subprocess.run([sys.executable, "-m", "zoo", "info", "train"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == "loading stage 'train' from faceswap-zoo …\n"
    assert result.stdout.startswith("stage 'train' — ")
