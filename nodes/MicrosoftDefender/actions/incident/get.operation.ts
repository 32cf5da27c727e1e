import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { defenderApiRequest } from '../../transport';
import { toItems } from '../common';
import { incidentLocator, readIncidentId } from './common';
import { readIncidentWithAlerts } from './withAlerts';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	incidentLocator('The incident to get'),
	{
		displayName: 'Include Alerts',
		name: 'includeAlerts',
		type: 'boolean',
		default: true,
		description: 'Whether to include the alerts of the incident',
	},
	{
		displayName: 'Follow Merges',
		name: 'followRedirects',
		type: 'boolean',
		default: false,
		description:
			'Whether to return the incident this one was merged into when its status is Redirected (the output then has redirectedFrom set to the requested ID)',
	},
];

const displayOptions = { show: { resource: ['incident'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** Merges can chain; stop after a few hops so a loop in the data cannot hang the node. */
const MAX_REDIRECTS = 5;

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const requested = readIncidentId(this, i);
	const includeAlerts = this.getNodeParameter('includeAlerts', i, true) as boolean;
	const follow = this.getNodeParameter('followRedirects', i, false) as boolean;
	const operation = OPERATIONS.incident.get;
	const read = async (id: string) =>
		includeAlerts
			? await readIncidentWithAlerts.call(this, id, i, operation)
			: ((await defenderApiRequest.call(this, {
					api: 'graph',
					method: 'GET',
					path: `/v1.0/security/incidents/${encodeURIComponent(id)}`,
					itemIndex: i,
					operation,
				})) as IDataObject);

	let incident = await read(requested);
	const seen = new Set([requested]);
	while (follow && seen.size <= MAX_REDIRECTS) {
		const next = incident.redirectIncidentId;
		const status = String(incident.status ?? '').toLowerCase();
		if (status !== 'redirected' || next === null || next === undefined || next === '') break;
		const nextId = String(next);
		if (seen.has(nextId) || !/^\d{1,19}$/.test(nextId)) break;
		seen.add(nextId);
		incident = { ...(await read(nextId)), redirectedFrom: requested };
	}
	return toItems.call(this, incident, i);
}
