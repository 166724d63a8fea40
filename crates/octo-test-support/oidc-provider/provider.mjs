// A certified OpenID provider (the npm package `oidc-provider`) configured the way the OctoMesh
// identity service is, for the tests in `crates/octo-auth/tests/oidc_provider.rs` and
// `crates/mcp-http/tests/auth.rs`. `cargo xtask test` installs the package (pinned in
// xtask/npm/package.json) and tells the tests where Node.js 22 and node_modules are.
//
//   OCTO_NODE_MODULES=<dir>/node_modules node provider.mjs
//
// It listens on a free loopback port and prints the issuer URL as the first line of stdout.
//
// What it offers: discovery, JWKS, the device authorization grant (RFC 8628) with a
// verification page, refresh tokens (scope offline_access, rotated on every use), JWT access
// tokens for the resource OIDC_AUDIENCE (resource indicators) carrying `tenant_id`, and a
// public client `octo-mcpServices-device` (device_code + refresh_token). No token exchange:
// oidc-provider does not implement RFC 8693, so `switch_tenant` falls back to a device flow.
//
// The login a person does in the browser is plain HTML forms (no script): the verification page
// asks for the user code, a confirmation page, the login page (user name + password, checked
// against USERS below), the consent page, then a success page. Tests submit them with a cookie
// jar, as a browser would.
//
// The tenant: requested with `acr_values=tenant:<id>`; the token names it if the user may use
// it, otherwise the user's home tenant (so the server sees "logged in for another tenant").
// Read-only users get `octo_api.read_only` added to the scope of their access tokens.
//
// Environment (all optional):
//   OIDC_ACCESS_TOKEN_TTL   access-token lifetime in seconds (default 300)
//   OIDC_REFRESH_TOKEN_TTL  refresh-token lifetime in seconds (default 3600)
//   OIDC_DEVICE_CODE_TTL    device/user-code lifetime in seconds (default 600)
//   OIDC_POLL_INTERVAL      `interval` added to device authorization responses; oidc-provider
//                           sends none, which means 5 s to a client (default: none added)
//   OIDC_AUDIENCE           the resource access tokens are for (default https://octomesh.test/api)
//   OIDC_KEY_FILE           a JSON file with the private signing JWK; created when missing, so
//                           two providers given the same file sign with the same key (default:
//                           a fresh key per start)

import { createRequire } from 'node:module';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.OCTO_NODE_MODULES;
if (!modules) {
  console.error('set OCTO_NODE_MODULES to the node_modules folder that holds oidc-provider');
  process.exit(2);
}
// ESM ignores NODE_PATH: resolve the package from the given folder.
const entry = createRequire(join(modules, '..', 'package.json')).resolve('oidc-provider');
const { default: Provider } = await import(pathToFileURL(entry).href);

const seconds = (name, fallback) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a whole number of seconds, not '${process.env[name]}'`);
  }
  return value;
};
const ACCESS_TTL = seconds('OIDC_ACCESS_TOKEN_TTL', 300);
const REFRESH_TTL = seconds('OIDC_REFRESH_TOKEN_TTL', 3600);
const DEVICE_TTL = seconds('OIDC_DEVICE_CODE_TTL', 600);
const POLL_INTERVAL = process.env.OIDC_POLL_INTERVAL ? seconds('OIDC_POLL_INTERVAL') : undefined;
const AUDIENCE = process.env.OIDC_AUDIENCE || 'https://octomesh.test/api';
const CLIENT_ID = 'octo-mcpServices-device';

// The test users. `tenants[0]` is the home tenant.
const USERS = {
  ada: { password: 'ada-pass', name: 'Ada Admin', tenants: ['plant-a', 'plant-b', 'octosystem'], role: 'admin' },
  bob: { password: 'bob-pass', name: 'Bob Builder', tenants: ['plant-a'], role: 'user' },
  rita: { password: 'rita-pass', name: 'Rita Reader', tenants: ['plant-a', 'octosystem'], role: 'reader', readOnly: true },
};

// The tenant each grant was given at consent; refreshed tokens share the grant.
const tenantOfGrant = new Map();

function signingKey() {
  const file = process.env.OIDC_KEY_FILE;
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  if (file) writeFileSync(file, JSON.stringify(jwk));
  return jwk;
}

function tenantFor(user, acrValues) {
  const requested = (acrValues || '').split(' ').find((v) => v.startsWith('tenant:'))?.slice(7);
  const allowed = requested && user.tenants.find((t) => t.toLowerCase() === requested.toLowerCase());
  return allowed || user.tenants[0];
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
  + `<body><h1>${escape(title)}</h1>${body}</body></html>`;

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  }],
  jwks: { keys: [signingKey()] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'role'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    role: ['role'],
  },
  async findAccount(_ctx, sub) {
    const user = USERS[sub];
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, name: user.name, preferred_username: sub, email: `${sub}@octomesh.test`, role: user.role };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: {
      enabled: true,
      userCodeInputSource(ctx, form, _out, err) {
        const error = err ? `<p class="error">${escape(err.userCode ? `The code ${err.userCode} is not valid: ${err.message}` : err.message)}</p>` : '';
        ctx.body = page('Enter the code shown by your application', `${error}${form.replace('</form>', '<button type="submit">Continue</button></form>')}`);
      },
      userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
        ctx.body = page('Confirm the sign-in', `<p>${escape(client.clientId)} asks to sign in with code ${escape(userCode)}.</p>`
          + form.replace('</form>', '<button type="submit">Continue</button> <button type="submit" name="abort" value="yes">Cancel</button></form>'));
      },
      successSource(ctx) {
        ctx.body = page('Sign-in complete', '<p>You can close this page and return to your application.</p>');
      },
    },
    resourceIndicators: {
      enabled: true,
      // Device authorization requests carry no `resource`: every token is for the API.
      defaultResource: () => AUDIENCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'octo_api',
        audience: AUDIENCE,
        accessTokenTTL: ACCESS_TTL,
        accessTokenFormat: 'jwt',
      }),
    },
    revocation: { enabled: true },
  },
  async extraTokenClaims(_ctx, token) {
    const user = USERS[token.accountId];
    if (!user) return undefined;
    return {
      preferred_username: token.accountId,
      role: user.role,
      tenant_id: tenantOfGrant.get(token.grantId) ?? user.tenants[0],
    };
  },
  formats: {
    customizers: {
      // The scope claim is the provider's to write; read-only users get the read-only scope.
      jwt(_ctx, token, jwt) {
        if (USERS[token.accountId]?.readOnly) {
          jwt.payload.scope = [jwt.payload.scope, 'octo_api.read_only'].filter(Boolean).join(' ');
        }
      },
    },
  },
  issueRefreshToken: (_ctx, client, source) => client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
  ttl: {
    AccessToken: ACCESS_TTL,
    RefreshToken: REFRESH_TTL,
    DeviceCode: DEVICE_TTL,
    Grant: 86400,
    IdToken: 3600,
    Interaction: 600,
    Session: 86400,
  },
  cookies: { keys: [randomUUID()] },
};

// Our own login and consent pages at /interaction/<uid>, served beside the provider.
async function interaction(provider, req, res) {
  const [, , uid, action] = new URL(req.url, 'http://x').pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  const send = (html) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  };
  const loginForm = (error) => page('Sign in', `${error ? `<p class="error">${escape(error)}</p>` : ''}`
    + `<form method="post" action="/interaction/${uid}/login">`
    + '<input type="text" name="login" placeholder="User name"><input type="password" name="password" placeholder="Password">'
    + '<button type="submit">Sign in</button></form>');

  if (req.method === 'GET') {
    if (details.prompt.name === 'login') return send(loginForm());
    const scopes = [...(details.prompt.details.missingOIDCScope || []),
      ...Object.values(details.prompt.details.missingResourceScopes || {}).flat()];
    return send(page('Allow access', `<p>${escape(details.params.client_id)} asks for: ${escape(scopes.join(', '))}</p>`
      + `<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>`));
  }

  const form = new URLSearchParams(await new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  }));
  if (action === 'login') {
    const login = form.get('login') || '';
    const user = USERS[login];
    if (!user || user.password !== form.get('password')) return send(loginForm('Wrong user name or password.'));
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    const { accountId } = details.session;
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes || {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    tenantOfGrant.set(grantId, tenantFor(USERS[accountId], details.params.acr_values));
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  res.writeHead(404);
  res.end();
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  if (POLL_INTERVAL) {
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.oidc?.route === 'device_authorization' && ctx.body?.device_code) ctx.body.interval = POLL_INTERVAL;
    });
  }
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((error) => {
        console.error(error);
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`The sign-in could not continue: ${error.message}`);
      });
    } else {
      callback(req, res);
    }
  });
  console.log(issuer);
});
// The test ends the process by closing stdin (or killing it).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
