import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

import { CREDENTIAL_TYPES } from '../nodes/MicrosoftDefender/helpers/credentialTypes';
import { apiChoiceField, tenantFields } from '../nodes/MicrosoftDefender/descriptions/credentialFields';
import {
	delegatedEndpointExpression,
	delegatedScopeExpression,
} from '../nodes/MicrosoftDefender/helpers/hosts';

/**
 * Delegated sign-in of an analyst in a customer tenant (Microsoft Learn: "Fetch alerts from MSSP
 * customer tenant"): n8n's OAuth2 credential runs the authorization code flow, stores the refresh
 * token and refreshes the sign-in API's token. The node redeems the same refresh token for the
 * other Defender API when a workflow needs it (refresh tokens are not tied to one resource).
 */
export class MicrosoftDefenderDelegatedOAuth2Api implements ICredentialType {
	name = CREDENTIAL_TYPES.delegated;

	extends = ['oAuth2Api'];

	displayName = 'Microsoft Defender Delegated OAuth2 API';

	icon: Icon = { light: 'file:../icons/defender.svg', dark: 'file:../icons/defender.dark.svg' };

	documentationUrl =
		'https://github.com/n8n-nodes-microsoft-defender/n8n-nodes-microsoft-defender#delegated-sign-in-mssp';

	properties: INodeProperties[] = [
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName:
				'An analyst signs in to the customer tenant; the node can then do what the app\'s delegated permissions AND the analyst\'s Defender role both allow. Register the app in the customer tenant with this credential\'s OAuth Redirect URL as a Web redirect URI.',
			name: 'delegatedNotice',
			type: 'notice',
			default: '',
		},
		...tenantFields({
			cloud: 'Where the customer tenant lives (same hosts as the Entra App credential)',
			login: 'Entra authority; the sign-in goes to {Login URL}/{tenant}/oauth2/v2.0/authorize',
			tenant:
				"The customer's Directory (tenant) ID, or one of its verified domains. One credential per customer tenant.",
		}),
		apiChoiceField({
			displayName: 'Sign-In API',
			name: 'signInApi',
			graph: 'Microsoft Graph (Alerts, Incidents, Hunting, Trigger)',
			mde: 'Defender for Endpoint API (Machines, Response Actions)',
			description:
				'The API whose token n8n keeps and refreshes. The node gets tokens for the other API from the same sign-in, as long as the app has consented delegated permissions on it.',
		}),
		{
			displayName: 'Delegated Permissions',
			name: 'delegatedPermissions',
			type: 'string',
			default: '',
			placeholder: 'e.g. SecurityAlert.Read.All SecurityIncident.ReadWrite.All ThreatHunting.Read.All',
			description:
				'Optional: the delegated permissions of the Sign-In API to ask for, separated by spaces. Empty asks for every delegated permission configured and consented on the app registration (/.default), which is what the MSSP guide sets up.',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: delegatedEndpointExpression('authorize'),
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: delegatedEndpointExpression('token'),
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: delegatedScopeExpression(),
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			// The analyst picks the account of the customer tenant, not whatever session the browser has.
			default: 'response_mode=query&prompt=select_account',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'body',
		},
	];
}
