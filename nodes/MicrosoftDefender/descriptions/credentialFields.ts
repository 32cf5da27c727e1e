import type { INodeProperties } from 'n8n-workflow';

import { CLOUDS, type CloudName } from '../helpers/hosts';

/** Fields both credentials share: the Cloud choices (from the one host table) and Custom Endpoints. */
export const cloudOptions = [
	...(Object.keys(CLOUDS) as CloudName[]).map((c) => ({ name: CLOUDS[c].displayName, value: c })),
	{ name: 'Custom Endpoints', value: 'custom' },
];

const custom = { show: { cloud: ['custom'] } };

/**
 * The top of both Entra credentials: Cloud, the Custom Endpoints fields (after an optional notice)
 * and Tenant ID. The texts differ per credential.
 */
export function tenantFields(text: { cloud: string; customNotice?: string; login: string; tenant: string }): INodeProperties[] {
	const notice: INodeProperties[] = text.customNotice
		? [{ displayName: text.customNotice, name: 'customNotice', type: 'notice', default: '', displayOptions: custom }]
		: [];
	return [
		{
			displayName: 'Cloud',
			name: 'cloud',
			type: 'options',
			options: cloudOptions,
			default: 'global',
			description: text.cloud,
		},
		...notice,
		...customEndpointFields(text.login),
		{
			displayName: 'Tenant ID',
			name: 'tenantId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. 11111111-2222-3333-4444-555555555555 or contoso.onmicrosoft.com',
			description: text.tenant,
		},
	];
}

/** A choice between the two APIs: Microsoft Graph first and the default, as on the node's API switches. */
export function apiChoiceField(field: {
	displayName: string;
	name: string;
	graph: string;
	mde: string;
	description: string;
}): INodeProperties {
	return {
		displayName: field.displayName,
		name: field.name,
		type: 'options',
		options: [
			{ name: field.graph, value: 'graph' },
			{ name: field.mde, value: 'mde' },
		],
		default: 'graph',
		description: field.description,
	};
}

/** Login URL and the two API base URLs, shown for Cloud = Custom Endpoints. */
function customEndpointFields(loginDescription: string): INodeProperties[] {
	return [
		{
			displayName: 'Login URL',
			name: 'customLoginUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://login.microsoftonline.com',
			description: loginDescription,
			displayOptions: custom,
		},
		{
			displayName: 'Defender for Endpoint API Base URL',
			name: 'customMdeBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://api.security.microsoft.com',
			displayOptions: custom,
		},
		{
			displayName: 'Microsoft Graph Base URL',
			name: 'customGraphBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://graph.microsoft.com',
			description: 'Without /v1.0',
			displayOptions: custom,
		},
	];
}
