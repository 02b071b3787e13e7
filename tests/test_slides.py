"""Local files and HTML slides tried as an attacker would: a content row naming a system file,
a device, a symlink out of the media folder; an HTML slide that reads files, calls servers on
this machine, opens windows and navigates away. Each plays nothing it should not and says why."""

from __future__ import annotations

import http.server
import json
import os
import threading

import pytest

from cxkiosk.content.media import SIZE_LIMITS, MediaError, MediaFolders, check_media_path
from cxkiosk.values import Choice, Item
from tests.media import write_image

# --- the media rule --------------------------------------------------------------------------------


@pytest.fixture
def media(tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    (tmp_path / "secret.png").write_bytes(b"not for the screen")
    return folder


@pytest.mark.parametrize("path, words", [
    ("/etc/passwd", "not a video, image or HTML"),
    ("/dev/zero", "not a video, image or HTML"),
    ("/etc/hosts.png", "not found"),
    ("../secret.png", "outside the media folders"),
    ("link.png", "outside the media folders"),
    ("fifo.mp4", "not a regular file"),
    ("folder.png", "not a regular file"),
    ("huge.mp4", "over the"),
    ("loop.png", "not found"),
    ("", "no file given"),
])
def test_only_regular_files_inside_the_media_folders_within_limits_play(media, tmp_path, path, words):
    os.symlink(tmp_path / "secret.png", media / "link.png")
    os.mkfifo(media / "fifo.mp4")
    (media / "folder.png").mkdir()
    with open(media / "huge.mp4", "wb") as fh:  # sparse: no disk used
        fh.truncate(SIZE_LIMITS["video"] + 1)
    os.symlink(media / "loop.png", media / "loop.png")
    with pytest.raises(MediaError, match=words):
        MediaFolders((media,)).resolve(path)


def test_a_symlink_inside_the_folder_to_a_file_inside_it_plays(media):
    write_image(media / "real.png")
    os.symlink(media / "real.png", media / "alias.png")
    assert MediaFolders((media,)).resolve("alias.png") == (media / "real.png").resolve()
    assert MediaFolders((media,)).resolve(str(media / "real.png")) == (media / "real.png").resolve()


@pytest.mark.parametrize("path, kind, words", [
    ("/etc/passwd", "slide", "not relative"), ("C:\\Windows\\win.ini", "slide", "not relative"),
    ("\\\\server\\share\\a.png", "slide", "not relative"), ("../up.png", "slide", "leaves the media"),
    ("a/../../b.png", "video", "leaves the media"), ("clip.exe", "video", "must be one of"),
    ("slide.mp4", "slide", "must be one of"), ("a\x00b.png", "slide", "control"),
    ("a\u202egnp.html", "slide", "control"), ("", "video", "needs a local file"),
])
def test_import_takes_only_relative_media_paths_of_the_right_kind(path, kind, words):
    with pytest.raises(MediaError, match=words):
        check_media_path(path, kind)
    assert check_media_path("spring/intro.html", "slide") == "spring/intro.html"
    assert check_media_path("clips\\intro.mp4", "video") == "clips/intro.mp4"


# --- on the billboard --------------------------------------------------------------------------------


@pytest.fixture
def board(qtbot, media):
    from ui.billboard import Billboard

    billboard = Billboard(load_timeout=8.0, media=MediaFolders((media,)))
    billboard.resize(480, 270)
    qtbot.addWidget(billboard)
    billboard.show()
    yield billboard
    billboard.stop_all()


@pytest.mark.expect_log("refused", "slide request", "not served", "skipped")
@pytest.mark.parametrize("item, words", [
    (Item(1, "passwd", "", kind="slide", path="/etc/passwd"), "not a video, image or HTML"),
    (Item(2, "zero", "", kind="video", path="/dev/zero"), "not a video, image or HTML"),
    (Item(3, "escape", "", kind="slide", path="../secret.png"), "outside the media folders"),
    (Item(4, "http page", "http://example.com/", kind="web"), "plain http"),
    (Item(5, "user-info", "https://bank.example@evil.example/", kind="web"), "user name"),
])
def test_the_billboard_refuses_hostile_items_with_a_reason(qtbot, board, item, words):
    with qtbot.waitSignal(board.failed, timeout=5000) as failed:
        board.play(Choice(item))
    assert failed.args[0] == item and words in failed.args[1]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"local server secret")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, name="local-server", daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(5)


HOSTILE_SLIDE = """<!doctype html><html><body style="background:#123">
<h1>Spring offer</h1><img src="logo.png">
<script>
window.results = {};
async function attempt(name, fn) {
  const late = new Promise((_, bad) => setTimeout(() => bad(new Error("late")), 3000));
  try {
    const v = await Promise.race([fn(), late]);
    window.results[name] = (v === null || v === undefined) ? "null" : "GOT " + String(v).slice(0, 40);
  }
  catch (e) { window.results[name] = e.message === "late" ? "no answer" : "blocked"; }
}
function xhr(url) { return new Promise((ok, bad) => { const r = new XMLHttpRequest();
  r.onload = () => ok(r.responseText); r.onerror = () => bad(new Error("x"));
  r.open("GET", url); r.send(); }); }
(async () => {
  await attempt("own file", () => fetch("notes.txt").then(r => r.ok ? r.text() : Promise.reject()));
  await attempt("fetch passwd", () => fetch("file:///etc/passwd").then(r => r.text()));
  await attempt("xhr passwd", () => xhr("file:///etc/passwd"));
  await attempt("symlink out", () => fetch("leak.txt").then(r => r.ok ? r.text() : Promise.reject()));
  await attempt("dot dot", () => fetch("../outside.txt").then(r => r.ok ? r.text() : Promise.reject()));
  await attempt("other slide", () => fetch("cxslide://0000000000/other.txt").then(r => r.text()));
  await attempt("local server", () => fetch("http://127.0.0.1:PORT/probe").then(r => r.text()));
  await attempt("localhost", () => fetch("http://localhost:PORT/probe2").then(r => r.text()));
  await attempt("popup", () => window.open("https://example.com/"));
  window.results.done = true;
  setTimeout(() => { location.href = "file:///etc/passwd"; }, 10);
  setTimeout(() => { location.href = "https://example.com/elsewhere"; }, 50);
})();
</script></body></html>"""


@pytest.mark.expect_log("refused", "slide request", "not served")
def test_an_html_slide_runs_in_a_sandbox_of_its_own_folder(qtbot, board, media, tmp_path, local_server):
    folder = media / "spring"
    folder.mkdir()
    (folder / "index.html").write_text(HOSTILE_SLIDE.replace("PORT", str(local_server)), encoding="utf-8")
    write_image(folder / "logo.png")
    (folder / "notes.txt").write_text("own notes", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("outside secret", encoding="utf-8")
    os.symlink(tmp_path / "outside.txt", folder / "leak.txt")
    item = Item(7, "Spring", "https://example.com/spring", kind="slide", path="spring/index.html",
                duration=30)
    with qtbot.waitSignal(board.started, timeout=15000):
        board.play(Choice(item))
    page = board.current[1].page
    results: list = []

    asked = []

    def poll():
        # One question at a time: a flood of runJavaScript calls starves the page's own timers.
        if len(asked) == len(results):
            asked.append(True)
            page.runJavaScript("JSON.stringify(window.results || {})", 0, results.append)
        return any(json.loads(r).get("done") for r in results)

    qtbot.waitUntil(poll, timeout=40000)
    outcome = next(json.loads(r) for r in results if json.loads(r).get("done"))
    assert outcome["own file"] == "GOT own notes"  # the slide's own folder works
    for name in ("fetch passwd", "xhr passwd", "local server", "localhost"):
        assert outcome[name] == "blocked", (name, outcome[name])
    for name in ("symlink out", "dot dot", "other slide"):  # answered, but with nothing
        assert outcome[name] in ("blocked", "GOT "), (name, outcome[name])
    assert not any("secret" in value or "root:" in value for value in map(str, outcome.values()))
    assert outcome["popup"] == "null"
    assert _Recorder.hits == []  # the server on this machine never heard from the slide
    qtbot.wait(500)
    assert page.url().scheme() == "cxslide" and page.url().path() == "/index.html"  # it never left
    assert board.current[0].item == item
