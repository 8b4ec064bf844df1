"""Attack programs for the hostile-submission catalogue (SECURITY.md), one image each.

Each entry is the Python program an image runs, plus any Dockerfile lines the attack needs.
"""

from __future__ import annotations

FORK_BOMB = """
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""

MEMORY_BOMB = """
chunks = []
while True:
    chunks.append(bytearray(16 << 20))
"""

CPU_SPIN = """
while True:
    pass
"""

SLEEP_FOREVER = """
import time
time.sleep(10**6)
"""

IGNORE_SIGTERM = """
import signal, time
for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(sig, signal.SIG_IGN)
while True:
    time.sleep(1)
"""

FLOOD = """
import os
junk = bytes(range(256)) * 4096  # binary, including escape and NUL bytes
def put(fd, data):
    # gVisor (runsc 20221219) answers a large write() to a pipe with a short count and
    # Python's buffered stdout then loses the rest, so the flood writes with its own loop
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
for _ in range(200):  # 200 MB on each stream
    put(1, junk)
    put(2, b"\\x1b[2J\\x1b]0;pwned\\x07" + junk)
put(2, b"\\x1b[2J\\x1b]0;pwned\\x07LAST-ERR\\n")
put(1, b"\\nLAST-LINE\\n")
"""

FILL_TMP = """
import errno
try:
    with open("/tmp/fill", "wb") as f:
        while True:
            f.write(b"x" * (1 << 20))
            f.flush()
except OSError as e:
    print("tmp write failed:", errno.errorcode.get(e.errno, e.errno))
"""

FILL_OUTPUT = """
try:
    with open("/output/fill", "wb") as f:
        while True:
            f.write(b"x" * (1 << 20))
            f.flush()
except OSError as e:
    print("output write failed:", e)
"""

MANY_FILES = """
for i in range(5000):
    with open(f"/output/f{i}.txt", "w") as f:
        f.write("x")
"""

NETWORK = """
import json, socket
results = {}
def attempt(name, fn):
    try:
        fn()
        results[name] = "reached"
    except Exception as e:
        results[name] = type(e).__name__
def tcp(host, port):
    s = socket.create_connection((host, port), timeout=2)
    s.close()
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("http", lambda: tcp("151.101.0.223", 80))
attempt("gateway", lambda: tcp("172.17.0.1", 2375))
attempt("metadata", lambda: tcp("169.254.169.254", 80))
attempt("raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("udp", lambda: udp.sendto(b"x", ("8.8.8.8", 53)))
results["interfaces"] = sorted(name for _, name in socket.if_nameindex())
print(json.dumps(results))
"""

HOST_ACCESS = """
import json, os
found = {
    "docker_sock": any(os.path.exists(p) for p in ("/var/run/docker.sock", "/run/docker.sock")),
    "host_secret": os.path.exists("/tmp/podium-host-secret"),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "env_keys": sorted(os.environ),
}
print(json.dumps(found))
"""

PRIVILEGES = """
import ctypes, json, os, subprocess
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
# prctl(PR_GET_NO_NEW_PRIVS): gVisor's /proc/self/status has no NoNewPrivs line
no_new_privs = ctypes.CDLL(None, use_errno=True).prctl(39, 0, 0, 0, 0)
setuid = subprocess.run(["/usr/local/bin/supy", "-c", "import os; print(os.geteuid())"],
                        capture_output=True, text=True)
def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False
print(json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
    "cap_eff": status["CapEff"].strip(), "no_new_privs": str(no_new_privs),
    "setuid_euid": setuid.stdout.strip(),
    "root_writable": writable("/app/x"), "etc_writable": writable("/etc/passwd"),
    "volume_writable": writable("/scratch/x"), "input_writable": writable("/input/x"),
    "tmp_writable": writable("/tmp/x"),
}))
"""
PRIVILEGES_DOCKERFILE = (
    "USER root\n"
    "RUN cp /usr/bin/python3.11 /usr/local/bin/supy && chmod 4755 /usr/local/bin/supy\n"
    "VOLUME /scratch\n"
)

ALLOCATE_300MB = """
import time
block = bytearray(300 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
time.sleep(0.5)
print("held", len(block))
"""

CPU_BOUND = """
import time
end = time.process_time() + 3.0
x = 0
while time.process_time() < end:
    x += 1
print("done")
"""

WRITE_PREDICTIONS = """
import os
out = os.environ["PODIUM_OUTPUT"]
ids = open(os.path.join(os.environ["PODIUM_INPUT"], "ids.txt")).read().split()
with open(os.path.join(out, "predictions.csv"), "w") as f:
    f.write("id,label\\n" + "".join(f"{i},1\\n" for i in ids))
os.symlink("/etc/passwd", os.path.join(out, "link.csv"))
os.mkfifo(os.path.join(out, "fifo"))
os.makedirs(os.path.join(out, "nested"))
open(os.path.join(out, "nested", "more.txt"), "w").write("ok")
print("wrote", len(ids))
"""

CRASH = """
import sys
print("about to fail", file=sys.stderr)
raise SystemExit(3)
"""

HEALTHY = """
print("ok")
"""

DEEP_OUTPUT = """
import os
with open("/output/predictions.csv", "w") as f:
    f.write("id,label\\n1,1\\n")
os.chdir("/output")
for _ in range(300):  # folders nested far past what the worker walks
    os.mkdir("d")
    os.chdir("d")
print("nested 300")
"""

LONG_OUTPUT_PATH = """
import os
os.chdir("/output")
for _ in range(20):  # 20 names of 250 bytes: a path far past PATH_MAX
    os.mkdir("n" * 250)
    os.chdir("n" * 250)
open("deep.csv", "w").write("id,label\\n")
print("long path made")
"""

ODD_OUTPUT_NAMES = """
import os
with open("/output/predictions.csv", "w") as f:
    f.write("id,label\\n1,1\\n")
for raw in (b"/output/bad-\\xff\\xfe.csv", b"/output/new\\nline.csv", b"/output/\\x1b[2J.csv"):
    with open(raw, "wb") as f:
        f.write(b"x")
locked = "/output/locked"
os.mkdir(locked)
open(locked + "/inside.txt", "w").write("x")
os.chmod(locked, 0)
print("odd names made")
"""

ENVIRONMENT = """
import json, os
print(json.dumps({"env": dict(os.environ), "kernel": os.uname().release}))
"""
# An image that tries to see every GPU and to reach out through a proxy of its own choosing.
ENVIRONMENT_DOCKERFILE = "ENV NVIDIA_VISIBLE_DEVICES=all CUDA_VISIBLE_DEVICES=0,1\n"
