import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { readIncidentWithAlerts } from '../incident/withAlerts';
import { updateDisplayOptions } from 'n8n-workflow';

import {
	alertStatusOptions,
	assignedToParameter,
	filtersCollection,
	multiFilter,
	rawFilterParameter,
	returnAllOrLimit,
	serviceSourceOptions,
	severityOptions,
	simplifyParameter,
	sinceFilter,
} from '../../descriptions/common';
import { and, anyOf, eq, ge, rawLiteral } from '../../helpers/odata';
import { canonicalTimestamp } from '../../helpers/pollTime';
import { simplifyAlert, toGraphValue, toMdeValue } from '../../helpers/simplify';
import { defenderApiRequestAllItems } from '../../transport';
import { splitList } from '../../helpers/validate';
import { failInput, readApi, readDate, readRawFilter, readReturnAllLimit, toItems } from '../common';
import { checkIncidentId } from '../incident/common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		...filtersCollection,
		options: [
			assignedToParameter('Only alerts assigned to this user (exact match)'),
			sinceFilter('createdSince', 'alerts'),
			rawFilterParameter(
				"e.g. classification eq 'truePositive'",
				'An extra OData $filter expression, combined with the other filters using "and". Use the property names and values of the selected API.',
			),
			{
				displayName: 'Detection Source',
				name: 'detectionSource',
				type: 'string',
				default: '',
				placeholder: 'e.g. WindowsDefenderAtp',
				description: 'Only alerts from this detection source (exact match)',
				displayOptions: { show: { '/api': ['mde'] } },
			},
			{
				displayName: 'Incident ID',
				name: 'incidentId',
				type: 'string',
				default: '',
				placeholder: 'e.g. 2972395',
				description: 'Only alerts of this incident',
			},
			{
				displayName: 'Service Source',
				name: 'serviceSource',
				type: 'multiOptions',
				default: [],
				options: serviceSourceOptions,
				description: 'Only alerts raised by these products',
				displayOptions: { show: { '/api': ['graph'] } },
			},
			multiFilter('Severity', 'severity', severityOptions),
			multiFilter('Status', 'status', [...alertStatusOptions, { name: 'Unknown', value: 'unknown' }]),
			sinceFilter('updatedSince', 'alerts'),
		],
	},
	simplifyParameter,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Include Evidence',
				name: 'includeEvidence',
				type: 'boolean',
				default: false,
				description:
					'Whether to include the evidence (files, processes, users, IPs) of each alert. Graph always returns it.',
				displayOptions: { show: { '/api': ['mde'] } },
			},
			{
				displayName: 'Sort By',
				name: 'sort',
				type: 'options',
				default: 'none',
				description:
					'Order of the results, sorted by the node: Microsoft documents no sort order for listing alerts. With a Limit, every matching alert is read first to find the newest or oldest ones, so add a Created Since or Updated Since filter on a busy tenant. API Default is the fastest.',
				options: [
					{ name: 'API Default', value: 'none' },
					{ name: 'Created, Newest First', value: 'createdDesc' },
					{ name: 'Created, Oldest First', value: 'createdAsc' },
					{ name: 'Updated, Newest First', value: 'updatedDesc' },
					{ name: 'Updated, Oldest First', value: 'updatedAsc' },
				],
			},
		],
	},
];

const displayOptions = { show: { resource: ['alert'], operation: ['getAll'] } };

export const description = updateDisplayOptions(displayOptions, properties);

type Sort = 'none' | 'createdDesc' | 'createdAsc' | 'updatedDesc' | 'updatedAsc';

interface AlertFilters {
	severity: string[];
	status: string[];
	serviceSource: string[];
	detectionSource?: string;
	assignedTo?: string;
	incidentId?: string;
	createdSince?: string;
	updatedSince?: string;
	rawFilter?: string;
}

/**
 * Sorts alerts by the chosen timestamp (exact to the 100 ns Microsoft returns). Neither
 * *List alerts_v2* nor *List alerts* (MDE) documents `$orderby`, so the order is made here.
 */
function sortAlerts(alerts: IDataObject[], sort: Sort, api: 'graph' | 'mde'): IDataObject[] {
	if (sort === 'none') return alerts;
	const created = sort.startsWith('created');
	const field = api === 'graph' ? (created ? 'createdDateTime' : 'lastUpdateDateTime') : created ? 'alertCreationTime' : 'lastUpdateTime';
	const dir = sort.endsWith('Desc') ? -1 : 1;
	const keyed = alerts.map((a, i) => ({ a, i, k: canonicalTimestamp(a[field]) ?? '' }));
	keyed.sort((x, y) => (x.k < y.k ? -dir : x.k > y.k ? dir : x.i - y.i));
	return keyed.map((x) => x.a);
}

function time(value: unknown): number {
	const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
	return Number.isNaN(t) ? 0 : t;
}

/** Graph alerts_v2 has no documented `incidentId` filter: read the incident's alerts and filter here. */
function matchesGraph(alert: IDataObject, f: AlertFilters): boolean {
	const inList = (list: string[], value: unknown) =>
		list.length === 0 || list.some((v) => v.toLowerCase() === String(value ?? '').toLowerCase());
	if (!inList(f.severity, alert.severity)) return false;
	if (!inList(f.status, alert.status)) return false;
	if (!inList(f.serviceSource, alert.serviceSource)) return false;
	if (f.assignedTo && String(alert.assignedTo ?? '').toLowerCase() !== f.assignedTo.toLowerCase()) return false;
	if (f.createdSince && time(alert.createdDateTime) < Date.parse(f.createdSince)) return false;
	if (f.updatedSince && time(alert.lastUpdateDateTime) < Date.parse(f.updatedSince)) return false;
	return true;
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = readApi(this, i);
	const limit = readReturnAllLimit(this, i);
	const simplify = this.getNodeParameter('simplify', i, true) as boolean;
	const rawFilters = this.getNodeParameter('filters', i, {}) as IDataObject;
	const options = this.getNodeParameter('options', i, {}) as IDataObject;
	const sort = ((options.sort as string) || 'none') as Sort;

	const filters: AlertFilters = {
		severity: splitList(rawFilters.severity),
		status: splitList(rawFilters.status),
		serviceSource: api === 'graph' ? splitList(rawFilters.serviceSource) : [],
		detectionSource: api === 'mde' ? String(rawFilters.detectionSource ?? '').trim() || undefined : undefined,
		assignedTo: String(rawFilters.assignedTo ?? '').trim() || undefined,
		incidentId: checkIncidentId(this, i, rawFilters.incidentId, 'Filters > Incident ID'),
		createdSince: readDate(this, i, rawFilters.createdSince, 'Filters > Created Since'),
		updatedSince: readDate(this, i, rawFilters.updatedSince, 'Filters > Updated Since'),
		rawFilter: readRawFilter(this, i, rawFilters.rawFilter, 'Filters > Custom OData Filter'),
	};

	let alerts: IDataObject[];
	const operation = OPERATIONS.alert.getAll;
	// A sorted, limited list needs every matching alert first (no documented server order).
	const readLimit = sort === 'none' ? limit : undefined;

	if (api === 'graph') {
		if (filters.incidentId) {
			if (filters.rawFilter) {
				throw failInput(
					this,
					i,
					'The filters "Incident ID" and "Custom OData Filter" cannot be combined on Microsoft Graph',
					"Graph has no incidentId filter for alerts, so the node reads the incident's alerts and filters them itself. Remove one of the two, or add incidentId to your custom filter instead.",
				);
			}
			const incident = await readIncidentWithAlerts.call(this, filters.incidentId, i, operation);
			alerts = ((incident.alerts as IDataObject[] | undefined) ?? []).filter((a) => matchesGraph(a, filters));
		} else {
			const $filter = and(
				anyOf('severity', filters.severity.map((v) => toGraphValue('severity', v) as string)),
				anyOf('status', filters.status.map((v) => toGraphValue('status', v) as string)),
				anyOf('serviceSource', filters.serviceSource),
				filters.assignedTo && eq('assignedTo', filters.assignedTo),
				filters.createdSince && ge('createdDateTime', rawLiteral(filters.createdSince)),
				filters.updatedSince && ge('lastUpdateDateTime', rawLiteral(filters.updatedSince)),
				filters.rawFilter,
			);
			const qs: IDataObject = {};
			if ($filter) qs.$filter = $filter;
			alerts = await defenderApiRequestAllItems.call(
				this,
				{ api: 'graph', method: 'GET', path: '/v1.0/security/alerts_v2', qs, itemIndex: i, operation },
				{ endpoint: 'graphAlerts', limit: readLimit },
			);
		}
	} else {
		const $filter = and(
			anyOf('severity', filters.severity.map((v) => toMdeValue('severity', v))),
			anyOf('status', filters.status.map((v) => toMdeValue('status', v))),
			filters.detectionSource && eq('detectionSource', filters.detectionSource),
			filters.assignedTo && eq('assignedTo', filters.assignedTo),
			// The validated digits as they are: Number() would round IDs above 2^53.
			filters.incidentId && eq('incidentId', rawLiteral(filters.incidentId)),
			filters.createdSince && ge('alertCreationTime', rawLiteral(filters.createdSince)),
			filters.updatedSince && ge('lastUpdateTime', rawLiteral(filters.updatedSince)),
			filters.rawFilter,
		);
		const qs: IDataObject = {};
		if ($filter) qs.$filter = $filter;
		if (options.includeEvidence === true) qs.$expand = 'evidence';
		alerts = await defenderApiRequestAllItems.call(
			this,
			{ api: 'mde', method: 'GET', path: '/api/alerts', qs, itemIndex: i, operation },
			{ endpoint: 'mdeAlerts', limit: readLimit },
		);
	}

	alerts = sortAlerts(alerts, sort, api);
	if (limit !== undefined) alerts = alerts.slice(0, limit);
	const output = simplify ? alerts.map((a) => simplifyAlert(a)) : alerts;
	return toItems.call(this, output, i);
}
