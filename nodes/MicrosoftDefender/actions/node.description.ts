import type { INodeProperties } from 'n8n-workflow';

import * as advancedHunting from './advancedHunting';
import * as alert from './alert';
import * as connection from './connection';
import * as incident from './incident';
import * as indicator from './indicator';
import * as liveResponse from './liveResponse';
import * as machine from './machine';
import { CREDENTIAL_TYPES } from '../helpers/credentialTypes';
import * as machineAction from './machineAction';
import { DESTRUCTIVE_OPERATIONS } from './operations';
import * as software from './software';
import * as vulnerability from './vulnerability';

/** Both nodes: the app-only credential, or an analyst's delegated sign-in (MSSP customer tenants). */
export const authenticationParameter: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'options',
	options: [
		{
			name: 'Entra App (Application Permissions)',
			value: 'entraApp',
			description: 'The app acts as itself with admin-consented application permissions',
		},
		{
			name: 'Delegated (Signed-In Analyst)',
			value: 'delegatedOAuth2',
			description:
				"An analyst signs in to the customer tenant; the node can do what the app's delegated permissions and the analyst's Defender role both allow",
		},
	],
	default: 'entraApp',
};

export const nodeCredentials = [
	{ name: CREDENTIAL_TYPES.entraApp, required: true, displayOptions: { show: { authentication: ['entraApp'] } } },
	{ name: CREDENTIAL_TYPES.delegated, required: true, displayOptions: { show: { authentication: ['delegatedOAuth2'] } } },
];

const resourceParameter: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'Advanced Hunting', value: 'advancedHunting' },
		{ name: 'Alert', value: 'alert' },
		{ name: 'Connection', value: 'connection' },
		{ name: 'Incident', value: 'incident' },
		{ name: 'Indicator', value: 'indicator' },
		{ name: 'Live Response', value: 'liveResponse' },
		{ name: 'Machine', value: 'machine' },
		{ name: 'Machine Action', value: 'machineAction' },
		{ name: 'Software', value: 'software' },
		{ name: 'Vulnerability', value: 'vulnerability' },
	],
	default: 'alert',
};

/** Read by the transport for every request of an item. */
export const requestOptionsParameter: INodeProperties = {
	displayName: 'Request Options',
	name: 'requestOptions',
	type: 'collection',
	placeholder: 'Add option',
	default: {},
	options: [
		{
			displayName: 'Max Retries',
			name: 'maxRetries',
			type: 'number',
			typeOptions: { minValue: 0, maxValue: 10 },
			default: 5,
			description:
				'How many times to retry a request that was throttled (429) or failed on the server side (5xx, connection reset)',
		},
		{
			displayName: 'Max Retry Wait (Seconds)',
			name: 'maxRetryWaitSeconds',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 120,
			description: 'Longest single wait between retries, including waits asked for by Retry-After',
		},
		{
			displayName: 'Quota Share (%)',
			name: 'quotaSharePercent',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 100 },
			default: 100,
			description:
				"Share of Microsoft's per-app API quota this n8n process paces itself to. In queue mode with N workers calling the same tenant with the same app, 100/N keeps the workers together under the quota; at 100 they may exceed it briefly and back off on 429 (Retry-After). See docs/deployment.md.",
		},
		{
			displayName: 'Tenant ID Override',
			name: 'tenantId',
			type: 'string',
			default: '',
			placeholder: 'e.g. 11111111-2222-3333-4444-555555555555 or contoso.onmicrosoft.com',
			description:
				'For multi-tenant apps (MSSPs): the customer tenant to call for this item instead of the tenant in the credential. Accepts an expression, so items can go to different tenants.',
		},
		{
			displayName: 'Timeout (Seconds)',
			name: 'timeoutSeconds',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 600 },
			default: 120,
			description:
				'How long to wait for each answer (when not set: 120 s, advanced hunting 210 s). A read that times out is retried; a response action or comment that times out is never sent again: the node looks for it and otherwise says it may have been carried out.',
		},
	],
};

/**
 * The AI-agent opt-in, shown only on the operations the router gates (one copy per resource, so
 * a read-only operation that shares a name with a write elsewhere never shows it).
 */
export const allowDestructiveParameters: INodeProperties[] = Object.entries(DESTRUCTIVE_OPERATIONS).map(
	([resource, operations]) => ({
		displayName: 'Allow for AI Agents',
		name: 'allowDestructiveForAgents',
		type: 'boolean',
		default: false,
		description:
			'Whether an AI agent using this node as a tool may run this operation, which changes the tenant. Off by default; has no effect when a workflow runs the node directly.',
		displayOptions: { show: { resource: [resource], operation: operations } },
	}),
);

/** Every parameter of the action node, in display order. */
export const nodeProperties: INodeProperties[] = [
	authenticationParameter,
	resourceParameter,
	...advancedHunting.description,
	...alert.description,
	...connection.description,
	...incident.description,
	...indicator.description,
	...liveResponse.description,
	...machine.description,
	...machineAction.description,
	...software.description,
	...vulnerability.description,
	...allowDestructiveParameters,
	requestOptionsParameter,
];

/**
 * Canvas subtitle in Title Case ("Get Many: Alert", n8n's UI guidelines) instead of the raw values,
 * read from the Resource and Operation options above; an unknown pair falls back to the raw values.
 */
export function operationSubtitle(properties: INodeProperties[]): string {
	const labels: Record<string, string> = {};
	const resources = properties.find((p) => p.name === 'resource')?.options ?? [];
	for (const r of resources) {
		if (!('value' in r)) continue;
		for (const p of properties) {
			if (p.name !== 'operation' || !p.displayOptions?.show?.resource?.includes(r.value)) continue;
			for (const o of p.options ?? []) {
				if ('value' in o) labels[`${String(r.value)}:${String(o.value)}`] = `${o.name}: ${r.name}`;
			}
		}
	}
	return `={{ (${JSON.stringify(labels)})[$parameter["resource"] + ":" + $parameter["operation"]] || $parameter["operation"] + ": " + $parameter["resource"] }}`;
}
