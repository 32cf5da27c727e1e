import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	JsonObject,
} from 'n8n-workflow';
import { readIncidentWithAlerts } from './withAlerts';
import { NodeApiError, updateDisplayOptions } from 'n8n-workflow';

import {
	assignedToParameter,
	classificationFilterOptions,
	determinationOptions,
	filtersCollection,
	incidentStatusOptions,
	multiFilter,
	rawFilterParameter,
	returnAllOrLimit,
	severityOptions,
	simplifyParameter,
	sinceFilter,
} from '../../descriptions/common';
import { and, anyOf, eq, ge, rawLiteral } from '../../helpers/odata';
import { simplifyIncident, toGraphValue } from '../../helpers/simplify';
import { defenderApiRequestAllItems } from '../../transport';
import { splitList } from '../../helpers/validate';
import { readDate, readRawFilter, readReturnAllLimit, toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		...filtersCollection,
		options: [
			assignedToParameter('Only incidents assigned to this user (exact match)'),
			multiFilter('Classification', 'classification', classificationFilterOptions),
			sinceFilter('createdSince', 'incidents'),
			rawFilterParameter(
				"e.g. determination eq 'malware'",
				'An extra OData $filter expression (Microsoft Graph property names), combined with the other filters using "and"',
			),
			multiFilter('Determination', 'determination', determinationOptions),
			multiFilter('Severity', 'severity', severityOptions),
			multiFilter('Status', 'status', incidentStatusOptions),
			sinceFilter('updatedSince', 'incidents'),
		],
	},
	{
		displayName: 'Include Alerts',
		name: 'includeAlerts',
		type: 'boolean',
		default: false,
		description:
			'Whether to include the alerts of each incident. If Microsoft fails the combined request (seen on large tenants with filters), the node reads each incident\'s alerts separately.',
	},
	simplifyParameter,
];

const displayOptions = { show: { resource: ['incident'], operation: ['getAll'] } };

export const description = updateDisplayOptions(displayOptions, properties);

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const limit = readReturnAllLimit(this, i);
	const simplify = this.getNodeParameter('simplify', i, true) as boolean;
	const includeAlerts = this.getNodeParameter('includeAlerts', i, false) as boolean;
	const filters = this.getNodeParameter('filters', i, {}) as IDataObject;

	const createdSince = readDate(this, i, filters.createdSince, 'Filters > Created Since');
	const updatedSince = readDate(this, i, filters.updatedSince, 'Filters > Updated Since');
	const rawFilter = readRawFilter(this, i, filters.rawFilter, 'Filters > Custom OData Filter');
	const assignedTo = String(filters.assignedTo ?? '').trim();

	const $filter = and(
		anyOf('status', splitList(filters.status).map((v) => toGraphValue('status', v) as string)),
		anyOf('severity', splitList(filters.severity).map((v) => toGraphValue('severity', v) as string)),
		anyOf('classification', splitList(filters.classification).map((v) => toGraphValue('classification', v) as string)),
		anyOf('determination', splitList(filters.determination).map((v) => toGraphValue('determination', v) as string)),
		assignedTo && eq('assignedTo', assignedTo),
		createdSince && ge('createdDateTime', rawLiteral(createdSince)),
		updatedSince && ge('lastUpdateDateTime', rawLiteral(updatedSince)),
		rawFilter,
	);
	const qs: IDataObject = {};
	if ($filter) qs.$filter = $filter;
	if (includeAlerts) qs.$expand = 'alerts';

	const operation = OPERATIONS.incident.getAll;
	const list = async (query: IDataObject) =>
		await defenderApiRequestAllItems.call(
			this,
			{ api: 'graph', method: 'GET', path: '/v1.0/security/incidents', qs: query, itemIndex: i, operation },
			{ endpoint: 'graphIncidents', limit },
		);

	let incidents: IDataObject[];
	try {
		incidents = await list(qs);
	} catch (error) {
		// Known Graph failure (elastic/integrations#18144): $expand=alerts with $filter can fail
		// with a persistent 5xx on large tenants. Then list without the expansion and read each
		// incident's alerts separately.
		const status = Number((error as NodeApiError).httpCode);
		if (!(includeAlerts && $filter && status >= 500)) {
			throw new NodeApiError(this.getNode(), error as JsonObject, { itemIndex: i });
		}
		const withoutExpand: IDataObject = { ...qs };
		delete withoutExpand.$expand;
		incidents = await list(withoutExpand);
		for (const incident of incidents) {
			const full = await readIncidentWithAlerts.call(this, String(incident.id), i, OPERATIONS.incident.get);
			incident.alerts = Array.isArray(full.alerts) ? full.alerts : [];
		}
	}

	return toItems.call(this, simplify ? incidents.map((x) => simplifyIncident(x)) : incidents, i);
}
