import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { defenderApiRequest } from '../../transport';
import { GRAPH_HEADERS, incidentLocator, readIncidentId, toItems } from '../alert/shared';

const properties: INodeProperties[] = [
	incidentLocator('The incident to get'),
	{
		displayName: 'Include Alerts',
		name: 'includeAlerts',
		type: 'boolean',
		default: true,
		description: 'Whether to include the alerts of the incident',
	},
];

const displayOptions = { show: { resource: ['incident'], operation: ['get'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const id = readIncidentId(this, i);
	const includeAlerts = this.getNodeParameter('includeAlerts', i, true) as boolean;
	const qs: IDataObject = {};
	if (includeAlerts) qs.$expand = 'alerts';
	const incident = await defenderApiRequest.call(this, {
		api: 'graph',
		method: 'GET',
		path: `/v1.0/security/incidents/${encodeURIComponent(id)}`,
		qs,
		headers: GRAPH_HEADERS,
		itemIndex: i,
		operation: { resource: 'incident', operation: 'get' },
	});
	return toItems(this, i, incident as IDataObject);
}
