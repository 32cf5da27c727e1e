/**
 * The delegated credential's hidden fields are expressions generated from the one host table.
 * Real n8n evaluates them in the e2e test (Custom Endpoints); here every table cloud is checked
 * by evaluating the same expression text over `$self`.
 */
import { MicrosoftDefenderDelegatedOAuth2Api } from '../../credentials/MicrosoftDefenderDelegatedOAuth2Api.credentials';
import { CLOUDS, resourceOfScope, type CloudName } from '../../nodes/MicrosoftDefender/helpers/hosts';
import { evaluateWithScope } from '../harness/params';

const cred = new MicrosoftDefenderDelegatedOAuth2Api();
const field = (name: string) => cred.properties.find((p) => p.name === name)!.default as string;
const evaluate = (name: string, self: Record<string, unknown>) => evaluateWithScope(field(name), { $self: self });

describe('Microsoft Defender Delegated OAuth2 API credential', () => {
	test('extends n8n\'s OAuth2 credential with the authorization code grant', () => {
		expect(cred.extends).toEqual(['oAuth2Api']);
		expect(field('grantType')).toBe('authorizationCode');
		expect(field('authentication')).toBe('body');
		expect(cred.displayName.endsWith('OAuth2 API')).toBe(true);
	});

	test.each(Object.keys(CLOUDS) as CloudName[])('cloud %s: tenant in the authorize and token URLs, scopes of the Sign-In API', (cloud) => {
		const self = { cloud, tenantId: ' contoso.onmicrosoft.com ', signInApi: 'mde', delegatedPermissions: '' };
		const authority = CLOUDS[cloud].authority;
		expect(evaluate('authUrl', self)).toBe(`${authority}/contoso.onmicrosoft.com/oauth2/v2.0/authorize`);
		expect(evaluate('accessTokenUrl', self)).toBe(`${authority}/contoso.onmicrosoft.com/oauth2/v2.0/token`);
		const mde = resourceOfScope(CLOUDS[cloud].api.mde.scope);
		expect(evaluate('scope', self)).toBe(`${mde}/.default offline_access`);
		const graph = resourceOfScope(CLOUDS[cloud].api.graph.scope);
		expect(evaluate('scope', { ...self, signInApi: 'graph', delegatedPermissions: 'SecurityAlert.Read.All, ThreatHunting.Read.All' })).toBe(
			`${graph}/SecurityAlert.Read.All ${graph}/ThreatHunting.Read.All offline_access`,
		);
	});

	test('Custom Endpoints: the login URL without a trailing slash, global resources for the scopes', () => {
		const self = { cloud: 'custom', customLoginUrl: 'http://127.0.0.1:9999/', tenantId: 'abc.example.com' };
		expect(evaluate('authUrl', self)).toBe('http://127.0.0.1:9999/abc.example.com/oauth2/v2.0/authorize');
		expect(evaluate('scope', self)).toBe('https://graph.microsoft.com/.default offline_access');
	});
});
