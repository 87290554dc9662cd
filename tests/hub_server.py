"""A loopback Hugging Face Hub for tests: the real ``huggingface_hub`` client pushes and pulls here.

Standard library only. Serves what the client calls for a model repo with Xet disabled
(``HF_HUB_DISABLE_XET=1``): repo create, README YAML validation, preupload, the git-LFS batch /
upload / verify protocol, NDJSON commits, branches and refs, revision info, tree listing and
``resolve`` HEAD/GET with the ``X-Repo-Commit`` / ``ETag`` / ``X-Linked-*`` headers the cache
relies on. Repos live in memory; every commit gets a real sha, branches move, old commits stay
addressable by sha, so revision pinning behaves like on the Hub.

Any bearer token is accepted for writes (tests use a fake one) except those in ``reject_tokens``,
which get 401 as a revoked token would; the tokens seen are recorded so a test can check the
client sent one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

__all__ = ["HubServer", "StoredFile"]

_REPO = r"(?P<repo>[\w.\-]+/[\w.\-]+)"
_LFS_SUFFIXES = (".safetensors", ".png", ".bin", ".pt", ".pth", ".ckpt", ".pkl")
_LFS_THRESHOLD = 10 * 1024 * 1024
_GITATTRIBUTES = b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.png filter=lfs diff=lfs merge=lfs -text\n"


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class StoredFile:
    """A file in a commit. LFS files are stored in git as a pointer, their content in LFS storage."""

    content: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def pointer(self) -> bytes:
        return _lfs_pointer(self.sha256, len(self.content))

    @property
    def blob_id(self) -> str:
        """The git blob id: of the pointer for LFS files, as on the Hub."""
        return _git_blob_sha(self.pointer if self.lfs else self.content)


@dataclass
class _Commit:
    sha: str
    parent: str | None
    message: str
    files: dict[str, StoredFile]


@dataclass
class _Repo:
    repo_id: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, _Commit] = field(default_factory=dict)


class _HttpError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any):
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


class HubServer:
    """In-memory Hub on ``127.0.0.1`` (a free port); use as a context manager or start()/stop()."""

    def __init__(self, reject_tokens: set[str] | None = None) -> None:
        self.reject_tokens = set(reject_tokens or ())
        self.repos: dict[str, _Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self.tokens_seen: set[str] = set()
        self._lock = threading.RLock()
        self._counter = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        handler = type("Handler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: clients now get 'connection refused'."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            assert self._thread is not None
            self._thread.join()
            self._httpd = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- repository model -----------------------------------------------------------------------

    def _repo(self, repo_id: str, token: str | None) -> _Repo:
        repo = self.repos.get(repo_id)
        if repo is None or (repo.private and token is None):
            raise _HttpError(404, "Repository not found", "RepoNotFound")
        return repo

    def _resolve(self, repo: _Repo, revision: str) -> _Commit:
        sha = repo.branches.get(revision, revision)
        if sha not in repo.commits:
            raise _HttpError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return repo.commits[sha]

    def _commit(self, repo: _Repo, branch: str, message: str, files: dict[str, StoredFile]) -> _Commit:
        self._counter += 1
        parent = repo.branches.get(branch)
        digest = hashlib.sha1(f"{self._counter}\0{parent}\0{message}".encode())
        for path in sorted(files):
            digest.update(f"\0{path}\0{files[path].blob_id}".encode())
        commit = _Commit(digest.hexdigest(), parent, message, files)
        repo.commits[commit.sha] = commit
        repo.branches[branch] = commit.sha
        return commit

    def create_repo(self, repo_id: str, private: bool = False) -> _Repo:
        """A new repo with its initial commit (``.gitattributes``), like on the Hub."""
        with self._lock:
            repo = self.repos[repo_id] = _Repo(repo_id, private)
            self._commit(repo, "main", "initial commit", {".gitattributes": StoredFile(_GITATTRIBUTES, lfs=False)})
            return repo

    def put_files(self, repo_id: str, files: dict[str, bytes], branch: str = "main") -> str:
        """Commit files directly (creating the repo if needed), e.g. a repo no zoo client would make."""
        with self._lock:
            repo = self.repos.get(repo_id) or self.create_repo(repo_id)
            stored = dict(repo.commits[repo.branches[branch]].files)
            for path, content in files.items():
                lfs = path.endswith(_LFS_SUFFIXES) or len(content) > _LFS_THRESHOLD
                stored[path] = StoredFile(content, lfs=lfs)
                if lfs:
                    self.lfs_objects[stored[path].sha256] = content
            return self._commit(repo, branch, "direct commit", stored).sha

    def head(self, repo_id: str, branch: str = "main") -> str:
        return self.repos[repo_id].branches[branch]

    def files_at(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        with self._lock:
            repo = self.repos[repo_id]
            return {path: f.content for path, f in self._resolve(repo, revision).files.items()}


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    body: bytes = b""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        """Silent: the request log is kept in ``hub.requests`` for assertions instead."""

    # -- plumbing -------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        """The whole request body, also when chunked: a keep-alive connection must never be left mid-body."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self) -> Any:
        return json.loads(self.body) if self.body else {}

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
            self.hub.tokens_seen.add(token)
            if token in self.hub.reject_tokens:
                raise _HttpError(401, "Invalid credentials in Authorization header")
            return token
        return None

    def _require_token(self) -> str:
        token = self._token()
        if token is None:
            raise _HttpError(401, "Invalid credentials in Authorization header")
        return token

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, head: bool = False) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_json(self, payload: Any, status: int = 200) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        self.hub.requests.append((method, url.path))
        self.body = self._read_body()
        try:
            for route_method, pattern, handler in _ROUTES:
                match = pattern.fullmatch(url.path)
                if match and route_method == method:
                    params = {key: unquote(value) for key, value in match.groupdict().items() if value is not None}
                    with self.hub._lock:
                        handler(self, query=query, **params)
                    return
            raise _HttpError(404, f"no route for {method} {url.path}")
        except _HttpError as error:
            headers = {"Content-Type": "application/json", "X-Error-Message": error.message}
            if error.code:
                headers["X-Error-Code"] = error.code
            body = json.dumps({"error": error.message, **error.extra}).encode()
            self._send(error.status, body, headers, head=method == "HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    # -- repos, refs, info ----------------------------------------------------------------------

    def create_repo(self, query: dict[str, str]) -> None:
        self._require_token()
        payload = self._json_body()
        repo_id = f"{payload.get('organization') or 'user'}/{payload['name']}"
        url = f"{self.hub.url}/{repo_id}"
        if repo_id in self.hub.repos:
            raise _HttpError(409, "You already created this model repo", url=url)  # the client reads it
        private = payload.get("visibility") == "private" or bool(payload.get("private"))
        self.hub.create_repo(repo_id, private=private)
        self._send_json({"url": url, "name": repo_id, "id": repo_id})

    def model_info(self, query: dict[str, str], repo: str, revision: str = "main") -> None:
        stored = self.hub._repo(repo, self._token())
        commit = self.hub._resolve(stored, revision)
        self._send_json(
            {
                "id": repo,
                "modelId": repo,
                "sha": commit.sha,
                "private": stored.private,
                "siblings": [{"rfilename": path} for path in sorted(commit.files)],
            }
        )

    def tree(self, query: dict[str, str], repo: str, revision: str, path: str = "") -> None:
        commit = self.hub._resolve(self.hub._repo(repo, self._token()), revision)
        recursive = query.get("recursive", "false").lower() == "true"
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        entries: list[dict[str, Any]] = []
        folders: set[str] = set()
        for file_path, stored in sorted(commit.files.items()):
            if not file_path.startswith(prefix):
                continue
            rest = file_path[len(prefix):]
            if "/" in rest and not recursive:
                folders.add(prefix + rest.split("/")[0])
                continue
            entry: dict[str, Any] = {"type": "file", "oid": stored.blob_id, "size": len(stored.content), "path": file_path}
            if stored.lfs:
                entry["lfs"] = {"oid": stored.sha256, "size": len(stored.content), "pointerSize": len(stored.pointer)}
            entries.append(entry)
        if recursive:
            folders = {"/".join(p.split("/")[:i]) for p in commit.files if p.startswith(prefix) for i in range(1, p.count("/") + 1)}
            folders = {f for f in folders if f.startswith(prefix)}
        entries += [{"type": "directory", "oid": hashlib.sha1(f.encode()).hexdigest(), "size": 0, "path": f} for f in sorted(folders)]
        if path.strip("/") and not entries:
            raise _HttpError(404, f"{path} does not exist on {revision}", "EntryNotFound")
        self._send_json(entries)

    def refs(self, query: dict[str, str], repo: str) -> None:
        stored = self.hub._repo(repo, self._token())
        branches = [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in sorted(stored.branches.items())]
        self._send_json({"branches": branches, "converts": [], "tags": [], "pullRequests": []})

    def create_branch(self, query: dict[str, str], repo: str, branch: str) -> None:
        self._require_token()
        payload = self._json_body()
        stored = self.hub._repo(repo, self._token())
        if branch in stored.branches:
            raise _HttpError(409, f"Reference already exists: refs/heads/{branch}")
        start = self.hub._resolve(stored, payload.get("startingPoint") or "main")
        stored.branches[branch] = start.sha
        self._send_json({})

    def validate_yaml(self, query: dict[str, str]) -> None:
        content = self._json_body().get("content", "")
        match = re.match(r"^---\n(.*?)\n---", content, re.DOTALL)
        try:
            metadata = yaml.safe_load(match.group(1)) if match else {}
        except yaml.YAMLError as error:
            self._send_json({"errors": [{"message": f"invalid YAML: {error}"}], "warnings": []}, status=400)
            return
        if metadata is not None and not isinstance(metadata, dict):
            self._send_json({"errors": [{"message": "metadata must be a mapping"}], "warnings": []}, status=400)
            return
        self._send_json({"errors": [], "warnings": []})

    # -- upload: preupload, LFS, commit ---------------------------------------------------------

    def preupload(self, query: dict[str, str], repo: str, revision: str) -> None:
        self._require_token()
        payload = self._json_body()
        commit = self.hub._resolve(self.hub._repo(repo, self._token()), revision)
        files = []
        for item in payload.get("files", []):
            path, size = item["path"], int(item["size"])
            lfs = path.endswith(_LFS_SUFFIXES) or size > _LFS_THRESHOLD
            existing = commit.files.get(path)
            files.append(
                {
                    "path": path,
                    "uploadMode": "lfs" if lfs else "regular",
                    "shouldIgnore": False,
                    "oid": existing.blob_id if existing else None,
                }
            )
        self._send_json({"files": files})

    def lfs_batch(self, query: dict[str, str], repo: str) -> None:
        self._require_token()
        payload = self._json_body()
        self.hub._repo(repo, self._token())
        if payload.get("operation") != "upload":
            raise _HttpError(400, "only uploads are supported")
        objects = []
        for item in payload.get("objects", []):
            oid, size = item["oid"], int(item["size"])
            entry: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if oid not in self.hub.lfs_objects:
                entry["actions"] = {
                    "upload": {"href": f"{self.hub.url}/lfs-upload/{oid}"},
                    "verify": {"href": f"{self.hub.url}/{repo}.git/info/lfs/objects/verify"},
                }
            objects.append(entry)
        self._send(
            200,
            json.dumps({"transfer": "basic", "objects": objects, "hash_algo": "sha256"}).encode(),
            {"Content-Type": "application/vnd.git-lfs+json"},
        )

    def lfs_upload(self, query: dict[str, str], oid: str) -> None:
        data = self.body
        if hashlib.sha256(data).hexdigest() != oid:
            raise _HttpError(400, f"content does not hash to {oid}")
        self.hub.lfs_objects[oid] = data
        self._send(200)

    def lfs_verify(self, query: dict[str, str], repo: str) -> None:
        self._require_token()
        payload = self._json_body()
        data = self.hub.lfs_objects.get(payload.get("oid", ""))
        if data is None or len(data) != payload.get("size"):
            raise _HttpError(404, f"object {payload.get('oid')} not uploaded")
        self._send_json({"success": True})

    def commit(self, query: dict[str, str], repo: str, revision: str) -> None:
        self._require_token()
        lines = [json.loads(line) for line in self.body.splitlines() if line.strip()]
        stored = self.hub._repo(repo, self._token())
        if revision not in stored.branches:
            raise _HttpError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        if not lines or lines[0].get("key") != "header":
            raise _HttpError(400, "the first NDJSON line must be the commit header")
        header = lines[0]["value"]
        head = stored.branches[revision]
        if header.get("parentCommit") not in (None, head):
            raise _HttpError(412, f"parent commit {header['parentCommit']} is not the head of {revision}")
        files = dict(stored.commits[head].files)
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = StoredFile(base64.b64decode(value["content"]), lfs=False)
            elif key == "lfsFile":
                data = self.hub.lfs_objects.get(value["oid"])
                if data is None:
                    raise _HttpError(400, f"LFS object {value['oid']} of {value['path']} was never uploaded")
                files[value["path"]] = StoredFile(data, lfs=True)
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: f for p, f in files.items() if not p.startswith(prefix)}
            else:
                raise _HttpError(400, f"unknown commit operation {key!r}")
        commit = self.hub._commit(stored, revision, header.get("summary", ""), files)
        self._send_json({"success": True, "commitOid": commit.sha, "commitUrl": f"{self.hub.url}/{repo}/commit/{commit.sha}"})

    # -- download -------------------------------------------------------------------------------

    def resolve(self, query: dict[str, str], repo: str, revision: str, path: str, head: bool = False) -> None:
        commit = self.hub._resolve(self.hub._repo(repo, self._token()), revision)
        stored = commit.files.get(path)
        if stored is None:
            raise _HttpError(404, f"Entry not found: {path}", "EntryNotFound")
        headers = {"X-Repo-Commit": commit.sha, "ETag": f'"{stored.blob_id}"', "Accept-Ranges": "bytes"}
        if stored.lfs:
            headers.update({"X-Linked-Etag": f'"{stored.sha256}"', "X-Linked-Size": str(len(stored.content))})
        body = stored.content
        status = 200
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if ranged and not head:
            start = int(ranged.group(1))
            end = int(ranged.group(2)) + 1 if ranged.group(2) else len(body)
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
            body, status = body[start:end], 206
        self._send(status, body, {"Content-Type": "application/octet-stream", **headers}, head=head)

    def resolve_head(self, query: dict[str, str], repo: str, revision: str, path: str) -> None:
        self.resolve(query, repo, revision, path, head=True)


_ROUTES: list[tuple[str, re.Pattern[str], Any]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("POST", r"/api/repos/create", _Handler.create_repo),
        ("POST", r"/api/validate-yaml", _Handler.validate_yaml),
        ("GET", rf"/api/models/{_REPO}", _Handler.model_info),
        ("GET", rf"/api/models/{_REPO}/revision/(?P<revision>[^/]+)", _Handler.model_info),
        ("GET", rf"/api/models/{_REPO}/tree/(?P<revision>[^/]+)(?:/(?P<path>.*))?", _Handler.tree),
        ("GET", rf"/api/models/{_REPO}/refs", _Handler.refs),
        ("POST", rf"/api/models/{_REPO}/branch/(?P<branch>[^/]+)", _Handler.create_branch),
        ("POST", rf"/api/models/{_REPO}/preupload/(?P<revision>[^/]+)", _Handler.preupload),
        ("POST", rf"/api/models/{_REPO}/commit/(?P<revision>[^/]+)", _Handler.commit),
        ("POST", rf"/{_REPO}\.git/info/lfs/objects/batch", _Handler.lfs_batch),
        ("POST", rf"/{_REPO}\.git/info/lfs/objects/verify", _Handler.lfs_verify),
        ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})", _Handler.lfs_upload),
        ("GET", rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", _Handler.resolve),
        ("HEAD", rf"/{_REPO}/resolve/(?P<revision>[^/]+)/(?P<path>.+)", _Handler.resolve_head),
    ]
]
