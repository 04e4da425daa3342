"""Plays the EHR against a real `sacral serve` on loopback: makes ES384 and RS384 keys, serves the
issuer's JWKS from a loopback HTTP server, signs tokens as the CDS Hooks sandbox does, starts and
stops the service. Imported by the test_server*.py modules (no conftest.py, so that other suites in
this folder are not affected)."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("SACRAL_BIN", ROOT / ".build" / "debug" / "sacral"))
RULES = ROOT / "Rules"
CASES = ROOT / "Cases"

ISSUER = "https://ehr.test"           # keys from a jku on its allow-list
FILE_ISSUER = "https://file-ehr.test"  # keys from a JWKS file
ADMIN_ISSUER = "https://admin.test"    # may call /v1/admin/*
ROGUE_ISSUER = "https://rogue.test"    # not configured


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeyPair:
    """A signing key and its public JWK."""

    def __init__(self, alg: str, kid: str):
        self.alg = alg
        self.kid = kid
        if alg.startswith("ES"):
            curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
            self.private = ec.generate_private_key(curve)
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.pem = self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
        self.public_pem = self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)

    @property
    def jwk(self) -> dict:
        algo = jwt.algorithms.ECAlgorithm if self.alg.startswith("ES") else jwt.algorithms.RSAAlgorithm
        key = json.loads(algo.to_jwk(self.private.public_key()))
        key.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return key


class JWKSServer:
    """Serves JSON documents (JWKS) from a loopback HTTP server; counts the fetches."""

    def __init__(self):
        self.documents: dict[str, dict] = {}
        self.fetches: dict[str, int] = {}
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                doc = outer.documents.get(self.path)
                outer.fetches[self.path] = outer.fetches.get(self.path, 0) + 1
                if doc is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()


class Server:
    """One `sacral serve` process with its own config, keys, log and JWKS server."""

    def __init__(self, limits: dict | None = None, rules: pathlib.Path = RULES, database: str | None = None,
                 extra_config: dict | None = None, insecure: bool = False, patient_key: str | None = None):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sacral-serve-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.es384 = KeyPair("ES384", "ehr-es384")
        self.rs384 = KeyPair("RS384", "ehr-rs384")
        self.file_key = KeyPair("RS384", "file-rs384")
        self.admin_key = KeyPair("ES384", "admin-es384")
        self.rogue_key = KeyPair("ES384", "rogue-es384")
        self.jwks = JWKSServer()
        self.jwks.documents["/jwks.json"] = {"keys": [self.es384.jwk, self.rs384.jwk]}
        self.jwks.documents["/rogue.json"] = {"keys": [self.rogue_key.jwk]}
        (self.tmp / "file-ehr.jwks.json").write_text(json.dumps({"keys": [self.file_key.jwk]}))
        (self.tmp / "admin.jwks.json").write_text(json.dumps({"keys": [self.admin_key.jwk]}))
        (self.tmp / "patient.key").write_text((patient_key or base64.b64encode(os.urandom(32)).decode()) + "\n")
        self.config = {
            "public_base_url": f"https://cds.example.org/sacral",
            "issuers": [
                {"iss": ISSUER, "jku_allow": [self.jwks.url("/jwks.json")]},
                {"iss": FILE_ISSUER, "jwks_file": "file-ehr.jwks.json"},
                {"iss": ADMIN_ISSUER, "jwks_file": "admin.jwks.json", "admin": True},
            ],
            "cors_origins": ["https://ehr.example.org"],
            "database": database or "sqlite:decisions.sqlite",
            "patient_hash_key_file": "patient.key",
            "limits": {"max_body_bytes": 65536, **(limits or {})},
        }
        if extra_config:
            self.config.update(extra_config)
        self.config_path = self.tmp / "config.json"
        self.config_path.write_text(json.dumps(self.config, indent=2))
        self.log_path = self.tmp / "server.log"
        args = [str(BINARY), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--rules", str(rules)]
        args += ["--insecure-local"] if insecure else ["--config", str(self.config_path)]
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT, cwd=self.tmp)
        self.client = httpx.Client(base_url=self.base, timeout=30)
        self.wait_ready()

    @property
    def public_base(self) -> str:
        return self.config["public_base_url"]

    def wait_ready(self, timeout: float = 60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sacral serve exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if self.client.get("/healthz").status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("sacral serve did not start:\n" + self.log())

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def token(self, path: str, *, key: KeyPair | None = None, iss: str = ISSUER, jku: str | None = "default",
              aud: str | list | None = None, exp_in: float = 300, iat_offset: float = 0, jti: str | None = None,
              kid: str | None = "default", alg: str | None = None, claims: dict | None = None,
              drop: tuple = ()) -> str:
        """A token as the CDS Hooks sandbox signs it, for a call to `path`."""
        key = key or self.es384
        now = time.time()
        payload = {"iss": iss, "aud": aud if aud is not None else self.public_base + path, "iat": int(now + iat_offset),
                   "exp": int(now + iat_offset + exp_in), "jti": jti or str(uuid.uuid4()), "sub": "sacral-test-client"}
        payload.update(claims or {})
        for name in drop:
            payload.pop(name, None)
        headers = {"typ": "JWT", "kid": key.kid if kid == "default" else kid}
        if headers["kid"] is None:
            del headers["kid"]
        if jku == "default":
            jku = self.jwks.url("/jwks.json") if iss == ISSUER else None
        if jku:
            headers["jku"] = jku
        return jwt.encode(payload, key.pem, algorithm=alg or key.alg, headers=headers)

    def auth(self, path: str, **kw) -> dict:
        return {"Authorization": "Bearer " + self.token(path, **kw)}

    def admin_auth(self, path: str) -> dict:
        return self.auth(path, key=self.admin_key, iss=ADMIN_ISSUER, jku=None)

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.client.close()
        self.jwks.close()
        self.log_file.close()
        return self.process.returncode


def export_log(database: str, cwd: pathlib.Path | None = None) -> list[dict]:
    out = subprocess.run([str(BINARY), "log", "export", "--database", database], check=True, capture_output=True,
                         text=True, cwd=cwd)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def cli_decision(case: pathlib.Path) -> str:
    """What `sacral evaluate --format json` prints for a case file."""
    out = subprocess.run([str(BINARY), "evaluate", "--format", "json", "--rules", str(RULES), str(case)],
                         capture_output=True, text=True)
    return out.stdout


def assert_operation_outcome(response: httpx.Response, status: int):
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"] and body["issue"][0]["severity"] in ("error", "fatal")
    return body


class PostgresCluster:
    """A throwaway PostgreSQL cluster from Debian's packages, on loopback, in a temporary folder.
    PostgreSQL refuses to run as root, so as root (CI) its commands run as the `postgres` user."""

    def __init__(self):
        bins = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (scripts/test-server.sh installs Debian's postgresql)")
        self.bin = bins[-1].parent
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sacral-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            os.chmod(self.tmp, 0o777)
        data = self.tmp / "data"
        self.run("initdb", "-D", str(data), "-A", "trust", "-U", "sacral", "--no-sync")
        self.run("pg_ctl", "-D", str(data), "-l", str(self.tmp / "postgres.log"), "-w", "-t", "60",
                 "-o", f"-h 127.0.0.1 -p {self.port} -k {self.tmp} -c fsync=off", "start")
        self.data = data
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "sacral", "sacral")
        self.url = f"postgres://sacral@127.0.0.1:{self.port}/sacral?sslmode=disable"

    def run(self, tool: str, *args: str):
        subprocess.run(self.as_user + [str(self.bin / tool), *args], check=True, capture_output=True)

    def stop(self):
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


# -- CDS Hooks: the EHR's FHIR server and prefetch ------------------------------------------------

def prefetch_templates() -> dict[str, str]:
    """The prefetch templates of the rules' FHIR mapping (`sacral fhir prefetch`)."""
    out = subprocess.run([str(BINARY), "fhir", "prefetch", "--rules", str(RULES)], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout)["prefetch"]


def export_bundle(case: pathlib.Path, date: str) -> dict:
    """A case file as the FHIR R4 Bundle an EHR would hold (`sacral fhir export`)."""
    out = subprocess.run([str(BINARY), "fhir", "export", str(case), "--date", date, "--rules", str(RULES)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class MockFHIRServer:
    """The EHR's FHIR R4 server on loopback: answers reads and the token searches of the prefetch
    templates (patient, code with OR lists, questionnaire) from the resources it holds, only with
    the expected bearer token; records each query (path and Authorization header)."""

    def __init__(self, token: str = "ehr-access-token-3f1c"):
        import urllib.parse
        self.token = token
        self.resources: list[dict] = []
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Authorization")))
                if self.headers.get("Authorization") != "Bearer " + outer.token:
                    return self.send(401, {"resourceType": "OperationOutcome",
                                           "issue": [{"severity": "error", "code": "login"}]})
                url = urllib.parse.urlsplit(self.path)
                parts = url.path.strip("/").split("/")[1:]  # after the "fhir" base segment
                if len(parts) == 2:
                    found = [r for r in outer.resources if r["resourceType"] == parts[0] and r.get("id") == parts[1]]
                    return self.send(200, found[0]) if found else self.send(404, {"resourceType": "OperationOutcome",
                                                                                  "issue": [{"severity": "error",
                                                                                             "code": "not-found"}]})
                params = urllib.parse.parse_qs(url.query)
                hits = [r for r in outer.resources if r["resourceType"] == parts[0] and outer.matches(r, params)]
                self.send(200, {"resourceType": "Bundle", "type": "searchset", "total": len(hits),
                                "entry": [{"resource": r} for r in hits]})

            def send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @staticmethod
    def matches(resource: dict, params: dict) -> bool:
        for name, values in params.items():
            value = values[0]
            if name == "patient":
                ref = (resource.get("subject") or resource.get("patient") or {}).get("reference", "")
                if ref.split("/")[-1] != value.split("/")[-1]:
                    return False
            elif name == "code":
                wanted = set(value.split(","))
                codings = {f"{c.get('system')}|{c.get('code')}" for c in (resource.get("code") or {}).get("coding", [])}
                if not wanted & codings:
                    return False
            elif name == "questionnaire":
                if resource.get("questionnaire", "").split("|")[0] != value.split("|")[0]:
                    return False
        return True

    def load(self, bundle: dict):
        self.resources = [e["resource"] for e in bundle["entry"]]

    def query(self, path: str) -> dict | None:
        """What the EHR puts under a prefetch key: the resource (None when absent) or the searchset."""
        r = httpx.get(f"{self.base}/{path}", headers={"Authorization": "Bearer " + self.token})
        return r.json() if r.status_code == 200 else None

    def prefetch(self, patient_id: str, keys=None) -> dict:
        """The prefetch an EHR sends, from the discovery templates, for the keys given (all by default)."""
        out = {}
        for key, template in prefetch_templates().items():
            if keys is None or key in keys:
                out[key] = self.query(template.replace("{{context.patientId}}", patient_id))
        return out

    def close(self):
        self.httpd.shutdown()
