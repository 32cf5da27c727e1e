import type { INodeProperties } from 'n8n-workflow';

import { CLOUDS, type CloudName } from '../helpers/hosts';

/** Fields both credentials share: the Cloud choices (from the one host table) and Custom Endpoints. */
export const cloudOptions = [
	...(Object.keys(CLOUDS) as CloudName[]).map((c) => ({ name: CLOUDS[c].displayName, value: c })),
	{ name: 'Custom Endpoints', value: 'custom' },
];

const custom = { show: { cloud: ['custom'] } };

/** Login URL and the two API base URLs, shown for Cloud = Custom Endpoints. */
export function customEndpointFields(loginDescription: string): INodeProperties[] {
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
