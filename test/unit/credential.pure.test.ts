import * as crypto from 'node:crypto';

import {
	buildClientAssertion,
	CertificateError,
	certificateThumbprints,
	normalizePem,
} from '../../nodes/MicrosoftDefender/helpers/assertion';
import { aadstsCode, explainApiError, explainTokenError, parseApiError, parseMissingRoles, redact } from '../../nodes/MicrosoftDefender/helpers/errors';
import { base64UrlDecode, decodeJwtHeader, decodeJwtPayload, rolesOf } from '../../nodes/MicrosoftDefender/helpers/jwt';
import { isValidTenant, tokenSettingsFingerprint } from '../../nodes/MicrosoftDefender/helpers/token';
import { FIXTURE } from '../emulator/core/fixture';
import { OPERATIONS } from '../../nodes/MicrosoftDefender/actions/operations';

const { certPem, keyPem, clientId } = FIXTURE.apps.full;

describe('client assertion (node:crypto)', () => {
	const tokenUrl = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';

	it('thumbprints are derived from the DER certificate', () => {
		const t = certificateThumbprints(certPem);
		const x = new crypto.X509Certificate(certPem);
		expect(t.sha1Hex).toBe(x.fingerprint.replace(/:/g, ''));
		expect(Buffer.from(base64UrlDecode(t.x5tS256)).toString('hex').toUpperCase()).toBe(x.fingerprint256.replace(/:/g, ''));
	});

	it.each(['PS256', 'RS256'] as const)('%s assertions verify with the certificate and carry the right claims', (alg) => {
		const now = 1_800_000_000;
		const jwt = buildClientAssertion({ clientId, tokenUrl, privateKeyPem: keyPem, certificatePem: certPem, algorithm: alg, now });
		const [h, p, s] = jwt.split('.');
		const key = crypto.createPublicKey(certPem);
		const ok =
			alg === 'PS256'
				? crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, base64UrlDecode(s))
				: crypto.verify('sha256', Buffer.from(`${h}.${p}`), key, base64UrlDecode(s));
		expect(ok).toBe(true);
		const header = decodeJwtHeader(jwt)!;
		expect(header).toEqual(
			alg === 'PS256'
				? { alg, typ: 'JWT', 'x5t#S256': certificateThumbprints(certPem).x5tS256 }
				: { alg, typ: 'JWT', x5t: certificateThumbprints(certPem).x5t },
		);
		const claims = decodeJwtPayload(jwt)!;
		expect(claims).toMatchObject({ aud: tokenUrl, iss: clientId, sub: clientId, nbf: now, iat: now, exp: now + 600 });
		expect(claims.jti).not.toBe(decodeJwtPayload(buildClientAssertion({ clientId, tokenUrl, privateKeyPem: keyPem, certificatePem: certPem, now }))!.jti);
	});

	it('PEM pasted on one line (or with literal \\n) is re-wrapped', () => {
		expect(normalizePem(certPem.replace(/\n/g, ' '))).toBe(certPem.trim());
		expect(normalizePem(keyPem.replace(/\n/g, '\\n'))).toBe(keyPem.trim());
		expect(certificateThumbprints(certPem.replace(/\n/g, '')).x5t).toBe(certificateThumbprints(certPem).x5t);
	});

	it('refuses paths and non-PEM input with a clear message', () => {
		expect(() => certificateThumbprints('/etc/ssl/app.pem')).toThrow(CertificateError);
		expect(() => buildClientAssertion({ clientId, tokenUrl, privateKeyPem: 'C:\\key.pem', certificatePem: certPem })).toThrow(/not a PEM private key/);
		expect(() => buildClientAssertion({ clientId, tokenUrl, privateKeyPem: keyPem.replace(/[A-Za-z]{8}/, 'AAAAAAAA'), certificatePem: certPem })).toThrow(CertificateError);
	});
});

describe('JWT and error helpers', () => {
	it('decodes claims and roles, tolerates non-JWTs', () => {
		const tok = `e30.${Buffer.from(JSON.stringify({ roles: ['A', 1, 'B'], aud: 'x' })).toString('base64url')}.sig`;
		expect(rolesOf(tok)).toEqual(['A', 'B']);
		expect(decodeJwtPayload('not a jwt')).toBeUndefined();
		expect(rolesOf('x.y.z')).toEqual([]);
	});

	it('reads AADSTS codes from error_codes or the description', () => {
		expect(aadstsCode({ error_codes: [7000215] })).toBe(7000215);
		expect(aadstsCode({ error_description: 'AADSTS90002: Tenant not found' })).toBe(90002);
		expect(aadstsCode('x')).toBeUndefined();
		const unknown = explainTokenError(400, { error: 'invalid_request', error_description: 'AADSTS123: Something new\r\nTrace ID: t' }, { tenant: 't', family: 'mde' });
		expect(unknown.message).toContain('AADSTS123');
		expect(unknown.description).toBe('AADSTS123: Something new');
	});

	it('parses "Missing application roles" in the MDE/XDR and Graph forms', () => {
		expect(parseMissingRoles('Missing application roles. API required roles: Machine.Isolate, application roles: Machine.Read.All,Alert.Read.All.')).toEqual({
			required: ['Machine.Isolate'],
			granted: ['Machine.Read.All', 'Alert.Read.All'],
		});
		expect(parseMissingRoles('Missing application roles. API required roles: SecurityIncident.Read.All,SecurityIncident.ReadWrite.All, application roles: .')).toEqual({
			required: ['SecurityIncident.Read.All', 'SecurityIncident.ReadWrite.All'],
			granted: [],
		});
		expect(parseMissingRoles('Forbidden')).toBeUndefined();
	});

	it('403 without a parsable body falls back to the permissions table', () => {
		const e = explainApiError(403, { error: { code: 'Forbidden', message: 'Access denied' } }, {
			family: 'graph',
			method: 'PATCH',
			path: '/v1.0/security/incidents/1',
			operation: OPERATIONS.incident.update,
		});
		expect(e.message).toContain('SecurityIncident.ReadWrite.All');
		expect(e.message).toContain('Microsoft Graph');
		expect(e.description).toContain('Grant admin consent');
	});

	it('reads Graph and MDE error bodies, strings and buffers', () => {
		expect(parseApiError({ error: { code: 'NotFound', message: 'm', innerError: { 'request-id': 'r' } } })).toEqual({ code: 'NotFound', message: 'm', target: undefined, requestId: 'r' });
		expect(parseApiError(Buffer.from('{"error":{"code":"X","message":"y","target":"t"}}'))).toMatchObject({ code: 'X', target: 't' });
		expect(parseApiError('<html>gateway</html>')).toEqual({ message: '<html>gateway</html>' });
	});

	it('validates tenants and redacts', () => {
		expect(isValidTenant('11111111-1111-4111-8111-111111111111')).toBe(true);
		expect(isValidTenant('contoso.onmicrosoft.com')).toBe(true);
		expect(isValidTenant('contoso')).toBe(false);
		expect(isValidTenant("a'b.com")).toBe(false);
		expect(redact('x secret-value y', ['secret-value', undefined, 'abc'])).toBe('x [redacted] y');
	});

	it('the stored-token fingerprint changes with every setting that affects the token', () => {
		const base = { tenantId: 't', clientId: 'c', clientSecret: 's1', cloud: 'global', testApi: 'mde' };
		const f = tokenSettingsFingerprint(base);
		expect(tokenSettingsFingerprint({ ...base })).toBe(f);
		for (const change of [{ clientSecret: 's2' }, { tenantId: 'u' }, { testApi: 'graph' }, { cloud: 'usGcc' }, { mdeScope: 'x/.default' }]) {
			expect(tokenSettingsFingerprint({ ...base, ...change })).not.toBe(f);
		}
		expect(f).not.toContain('s1');
	});
});
