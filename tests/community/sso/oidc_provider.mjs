// A real OpenID Connect provider for the SSO tests: panva's oidc-provider (OpenID certified), run with node.
// Usage: node oidc_provider.mjs PORT REDIRECT_URI [REDIRECT_URI ...]
// Prints "ready <issuer>" on stdout once it listens. Its sign-in page (devInteractions) takes any login
// naming one of ACCOUNTS; consent is granted at once (a first-party client), so a test signs in with one form.
import Provider from "oidc-provider";

const [port, ...redirectUris] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const ACCOUNTS = {
  alice: { email: "alice@example.com", email_verified: true, preferred_username: "alice", name: "Alice Liddell" },
  bob: { email: "bob@example.com", email_verified: false, preferred_username: "bob", name: "Bob" },
  carol: { email: "carol@example.com", email_verified: true, preferred_username: "carol", name: "Carol Chen" },
  dave: { email: "dave@brand.example", email_verified: true, preferred_username: "dave", name: "Dave" },
  nomail: { preferred_username: "nomail", name: "No Mail" },
};

const configuration = {
  clients: [{
    client_id: "community",
    client_secret: "community-secret",
    redirect_uris: redirectUris,
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"] },
  conformIdTokenClaims: false, // email in the ID token, as Keycloak, Azure AD and Google send it
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), "127.0.0.1", () => { console.log(`ready ${issuer}`); });
