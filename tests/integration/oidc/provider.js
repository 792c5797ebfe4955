// The certified `oidc-provider` (package.json pins it) as the test identity provider.
//
//   node provider.js CONFIG.json     CONFIG: {"port": 0, "clients": [...], "accounts": {"id": {claims}}}
//
// Prints `READY <issuer>` once it listens on 127.0.0.1. Test-only additions, all on this server:
// * /interaction/<uid> signs in the account named by `login_hint` (or the one set with
//   /__test/next-account?id=…) and grants the requested scopes: no HTML forms to fill in;
// * /__test/tamper?mode=… rewrites the NEXT token response's ID token, playing an attacker in
//   the middle: `forge` (signed by another key under the real kid), `audience` (aud of another
//   client), `nonce-missing`, `nonce-wrong` (all three re-signed with the provider's REAL key).
import { readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const KID = 'test-key-1';

async function rsaKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { privateKey, jwk: { ...jwk, kid: KID, alg: 'RS256', use: 'sig' } };
}

const real = await rsaKey();
const rogue = await rsaKey();
const issuer = `http://127.0.0.1:${config.port}`;
const test = { tamper: null, nextAccount: null };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  jwks: { keys: [real.jwk] },
  cookies: { keys: ['switchboard-oidc-test-cookie-key'] },
  conformIdTokenClaims: false, // scope-requested claims (email, name, groups) in the ID token too
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    process.stdout.write(`ERROR ${JSON.stringify(out)}\n`);
    ctx.type = 'json';
    ctx.body = out;
  },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
});

async function tampered(idToken, mode) {
  const claims = decodeJwt(idToken);
  let key = real.privateKey;
  if (mode === 'forge') key = rogue.privateKey;
  if (mode === 'audience') claims.aud = 'someone-elses-client';
  if (mode === 'nonce-missing') delete claims.nonce;
  if (mode === 'nonce-wrong') claims.nonce = 'not-the-nonce-you-sent';
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/tamper') {
    test.tamper = ctx.query.mode || null;
    ctx.body = { tamper: test.tamper };
    return;
  }
  if (ctx.path === '/__test/next-account') {
    test.nextAccount = ctx.query.id || null;
    ctx.body = { next_account: test.nextAccount };
    return;
  }
  if (ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    let result;
    if (details.prompt.name === 'login') {
      const accountId = test.nextAccount || details.params.login_hint;
      test.nextAccount = null;
      result = { login: { accountId } };
    } else {
      const missing = details.prompt.details;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      result = { consent: { grantId: await grant.save() } };
    }
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(to);
    return;
  }
  await next();
  if (ctx.path === '/token' && test.tamper && ctx.body && ctx.body.id_token) {
    const mode = test.tamper;
    test.tamper = null;
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, mode) };
  }
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`READY ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
