// A real OpenID Connect provider for tests/web/test_sso.py: oauth2-mock-server (discovery, JWKS, authorize,
// token, userinfo and end-session endpoints; RS256-signed tokens) on 127.0.0.1 at a free port.
//
// The provider logs in without a form. Who logs in next, and what goes wrong, a test says beforehand with
// POST /_test/login {"claims": {...}, "userinfo": {...}, "error": "access_denied", "tamper": "...",
// "token_error": "invalid_grant"}; tamper is one of nonce, expired, audience, issuer, signature.
// Prints {"issuer": "http://127.0.0.1:PORT"} on its first line; ends when its standard input closes.
import http from "node:http";
import { OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";

const issuer = new OAuth2Issuer();
await issuer.keys.generate("RS256");
const service = new OAuth2Service(issuer);

let next = {}; // the login the provider performs at the next /authorize
const byCode = new Map(); // authorization code -> that login

service.on("beforeAuthorizeRedirect", (redirect) => {
  const code = redirect.url.searchParams.get("code");
  if (next.error) {
    redirect.url.searchParams.delete("code");
    redirect.url.searchParams.set("error", next.error);
    redirect.url.searchParams.set("error_description", "refused by the test");
  } else if (code) {
    byCode.set(code, next);
  }
});

service.on("beforeTokenSigning", (token, req) => {
  const login = byCode.get(req.body?.code) ?? next;
  Object.assign(token.payload, login.claims ?? {});
  const isIdToken = !("scope" in token.payload); // the access token carries the scope, the ID token not
  if (!isIdToken) return;
  const now = Math.floor(Date.now() / 1000);
  switch (login.tamper) {
    case "nonce":
      token.payload.nonce = "nicht-die-nonce-der-anfrage";
      break;
    case "expired":
      token.payload.iat = now - 7200;
      token.payload.nbf = now - 7200;
      token.payload.exp = now - 3600;
      break;
    case "audience":
      token.payload.aud = "ein-anderer-client";
      break;
    case "issuer":
      token.payload.iss = "http://127.0.0.1:1/fremder-aussteller";
      break;
    default:
      break;
  }
});

service.on("beforeResponse", (response, req) => {
  const login = byCode.get(req.body?.code) ?? next;
  byCode.delete(req.body?.code);
  if (login.token_error) {
    response.statusCode = 400;
    response.body = { error: login.token_error, error_description: "refused by the test" };
    return;
  }
  if (login.tamper === "signature" && response.body.id_token) {
    // Change a claim after signing: the signature no longer fits the payload.
    const [header, payload, signature] = response.body.id_token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    claims.groups = ["admins"];
    const forged = Buffer.from(JSON.stringify(claims)).toString("base64url");
    response.body.id_token = [header, forged, signature].join(".");
  }
});

service.on("beforeUserinfo", (response) => {
  response.body = { sub: next.claims?.sub ?? "johndoe", ...(next.userinfo ?? {}) };
});

const server = http.createServer((req, res) => {
  if (req.method === "POST" && req.url === "/_test/login") {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      next = JSON.parse(body || "{}");
      res.writeHead(204).end();
    });
    return;
  }
  service.requestHandler(req, res);
});

server.listen(0, "127.0.0.1", () => {
  issuer.url = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(JSON.stringify({ issuer: issuer.url }) + "\n");
});

process.stdin.resume();
process.stdin.on("end", () => server.close(() => process.exit(0)));
