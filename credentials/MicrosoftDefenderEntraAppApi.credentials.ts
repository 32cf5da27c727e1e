import type {
	ICredentialDataDecryptedObject,
	IHttpRequestOptions,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestHelper,
	INodeProperties,
	Icon,
} from 'n8n-workflow';

import { CREDENTIAL_TYPES } from '../nodes/MicrosoftDefender/helpers/credentialTypes';
import { apiChoiceField, tenantFields } from '../nodes/MicrosoftDefender/descriptions/credentialFields';
import {
	CONNECTION_TEST_CALLS,
	RESOURCE_APPS,
	baseUrlExpression,
	scopeOverrideClouds,
	testPathExpression,
	type ApiFamily,
} from '../nodes/MicrosoftDefender/helpers/hosts';
import { grantHint } from '../nodes/MicrosoftDefender/helpers/errors';
import { rolesOf } from '../nodes/MicrosoftDefender/helpers/jwt';
import {
	tokenSettingsFingerprint,
	type DefenderCredentialData,
} from '../nodes/MicrosoftDefender/helpers/token';
import { attemptToken } from '../nodes/MicrosoftDefender/transport/token';

/** Test Connection With defaults to Graph, like the node's API switches. */
const TEST_FAMILY = "$credentials.testApi || 'graph'";

/** Shown by n8n's credential test; the message is all the user sees, so it carries the fix. */
class CredentialTestError extends Error {
	constructor(message: string, description?: string) {
		super(description ? `${message}. ${description}` : message);
		this.name = 'CredentialTestError';
	}
}

export class MicrosoftDefenderEntraAppApi implements ICredentialType {
	name = CREDENTIAL_TYPES.entraApp;

	displayName = 'Microsoft Defender (Entra App) API';

	icon: Icon = { light: 'file:../icons/defender.svg', dark: 'file:../icons/defender.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-microsoft-defender/n8n-nodes-microsoft-defender#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Token Fingerprint',
			name: 'tokenFingerprint',
			type: 'hidden',
			typeOptions: { password: true },
			default: '',
		},
		...tenantFields({
			cloud:
				'Where the tenant lives. GCC uses the commercial login and Graph with the .us Defender hosts; GCC High and DoD use login.microsoftonline.us.',
			customNotice:
				'Custom Endpoints send the client secret or assertion to the Login URL and the tokens to the API URLs below. Use them only for an emulator, a test double or a proxy you control; tokens are requested with the global scopes unless you override them.',
			login: 'Entra authority; the token URL is {Login URL}/{tenant}/oauth2/v2.0/token',
			tenant:
				'Directory (tenant) ID of the tenant to call, or one of its verified domains. Multi-tenant apps can override it per item in the node (Request Options → Tenant ID Override).',
		}),
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 11111111-2222-3333-4444-555555555555',
			description: 'Application (client) ID of the app registration',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Client Secret', value: 'clientSecret' },
				{ name: 'Certificate', value: 'certificate' },
			],
			default: 'clientSecret',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				"The secret's Value (shown once when you create it under Certificates & secrets), not its Secret ID",
			displayOptions: { show: { authentication: ['clientSecret'] } },
		},
		{
			displayName: 'Private Key (PEM)',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: '-----BEGIN PRIVATE KEY----- …',
			description: 'The RSA private key of the certificate, as PEM text (not a file path)',
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		{
			displayName: 'Private Key Passphrase',
			name: 'privateKeyPassphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Only for an encrypted private key',
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		{
			displayName: 'Certificate (PEM)',
			name: 'certificate',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			placeholder: '-----BEGIN CERTIFICATE----- …',
			description:
				'The public certificate uploaded to the app registration, as PEM text. Its thumbprints are derived from it.',
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		{
			displayName: 'Assertion Algorithm',
			name: 'assertionAlgorithm',
			type: 'options',
			options: [
				{ name: 'PS256 (Recommended)', value: 'PS256' },
				{ name: 'RS256', value: 'RS256' },
			],
			default: 'PS256',
			description: 'Signature of the client assertion. PS256 with x5t#S256 is what Entra documents today; RS256 with x5t is the older form.',
			displayOptions: { show: { authentication: ['certificate'] } },
		},
		apiChoiceField({
			displayName: 'Test Connection With',
			name: 'testApi',
			graph: 'Microsoft Graph (SecurityIncident.Read.All)',
			mde: 'Defender for Endpoint API (Machine.Read.All)',
			description:
				"Which API the Test button calls. Pick one the app has a permission on; the node's Connection → Check Permissions lists every permission.",
		}),
		{
			displayName: 'Defender for Endpoint Scope Override',
			name: 'mdeScope',
			type: 'string',
			default: '',
			placeholder: 'e.g. https://api-gov.securitycenter.microsoft.us/.default',
			description:
				"Advanced. Leave empty for the cloud's default. Microsoft does not document the Defender for Endpoint scope of the US Government clouds, so it can be changed here.",
			displayOptions: { show: { cloud: scopeOverrideClouds('mde') } },
		},
		{
			displayName: 'Microsoft Graph Scope Override',
			name: 'graphScope',
			type: 'string',
			default: '',
			description: 'Advanced. Leave empty for the global scope.',
			displayOptions: { show: { cloud: scopeOverrideClouds('graph') } },
		},
	];

	/**
	 * Mints a token for the API chosen in "Test Connection With". n8n calls it when the token is
	 * empty, after a 401, and on every credential test. Token problems and missing permissions
	 * are explained here, because the credential test shows only the message.
	 */
	async preAuthentication(this: IHttpRequestHelper, credentials: ICredentialDataDecryptedObject) {
		const data = credentials as unknown as DefenderCredentialData;
		const family = ((data.testApi as string) || 'graph') as ApiFamily;
		const attempt = await attemptToken(this, data, family, { attempts: 2 });
		if (!attempt.token) {
			throw new CredentialTestError(
				attempt.error?.message ?? 'Could not get an access token',
				attempt.error?.description,
			);
		}
		const roles = rolesOf(attempt.token);
		const needed = CONNECTION_TEST_CALLS[family].roles;
		if (!roles.some((r) => needed.includes(r))) {
			throw new CredentialTestError(
				`Token issued, but the app has no permission for the test call on ${RESOURCE_APPS[family]} (needs ${needed.join(' or ')}; the token carries ${roles.length ? roles.join(', ') : 'no roles'})`,
				grantHint(family, needed),
			);
		}
		return { accessToken: attempt.token, tokenFingerprint: tokenSettingsFingerprint(data) };
	}

	/**
	 * Adds the stored token. A token minted for other settings (the secret, tenant, cloud or
	 * tested API was edited since) is not sent: the API answers 401 and n8n then runs
	 * preAuthentication again, so a credential test never stays green on a stale token.
	 */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const current =
			credentials.tokenFingerprint === tokenSettingsFingerprint(credentials as unknown as DefenderCredentialData);
		return {
			...requestOptions,
			headers: {
				...(requestOptions.headers ?? {}),
				Authorization: `Bearer ${current ? String(credentials.accessToken ?? '') : 'stale'}`,
			},
		};
	}

	test: ICredentialTestRequest = {
		request: {
			baseURL: baseUrlExpression(TEST_FAMILY),
			url: testPathExpression(TEST_FAMILY),
			qs: { $top: 1 },
			// n8n would follow a redirect and re-attach the token for another host.
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: `The app has a token but lacks the permission for the test call: grant ${CONNECTION_TEST_CALLS.graph.roles[0]} (${RESOURCE_APPS.graph}) or ${CONNECTION_TEST_CALLS.mde.roles[0]} (${RESOURCE_APPS.mde}), matching "Test Connection With", as an Application permission and press "Grant admin consent"`,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'The API rejected the token: check that the Cloud (and for Custom Endpoints the base URLs) matches the tenant, and any scope override',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'The API base URL answered 404: check the Cloud, or the base URLs of Custom Endpoints',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 429,
					message:
						'The credentials work, but the API is throttling this app right now (HTTP 429): try the test again in a minute',
				},
			},
			...[500, 502, 503, 504].map((value) => ({
				type: 'responseCode' as const,
				properties: {
					value,
					message: `The token was issued, but the API had a server error (HTTP ${value}): try the test again in a minute`,
				},
			})),
		],
	};
}
