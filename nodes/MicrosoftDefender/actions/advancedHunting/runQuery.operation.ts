import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { normaliseHuntingResult } from '../../helpers/simplify';
import { defenderApiRequest } from '../../transport';
import { failInput, readApi, requireText, toItems } from '../common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	{
		displayName: 'API',
		name: 'api',
		type: 'options',
		noDataExpression: true,
		options: [
			{
				name: 'Microsoft Graph (Recommended)',
				value: 'graph',
				description: 'Graph runHuntingQuery: every Defender XDR table, optional timespan',
			},
			{
				name: 'Defender for Endpoint API',
				value: 'mde',
				description: 'Older API (advancedqueries/run, endpoint tables only), being retired by Microsoft since January 2026 (MC1220762): prefer Microsoft Graph',
			},
		],
		default: 'graph',
	},
	{
		displayName: 'Query (KQL)',
		name: 'query',
		type: 'string',
		typeOptions: { rows: 8 },
		default: '',
		required: true,
		placeholder: "e.g. DeviceProcessEvents | where FileName =~ 'powershell.exe' | take 100",
		description:
			'Kusto query. Up to 100,000 rows and 30 days of data (unless Timespan says otherwise); heavy queries use up a CPU quota per 15 minutes.',
	},
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'perRow',
		options: [
			{
				name: 'One Item per Row',
				value: 'perRow',
				description: 'Each result row becomes an item (no items when the query returns no rows)',
			},
			{
				name: 'One Item With Rows, Schema and Stats',
				value: 'single',
				description: 'A single item: { rows, schema, stats, rowCount }',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { api: ['graph'] } },
		options: [
			{
				displayName: 'Timespan',
				name: 'timespan',
				type: 'string',
				default: '',
				placeholder: 'e.g. P7D',
				description:
					'Time range of the data: an ISO 8601 duration (P7D, PT12H), a start time, or an interval (2024-02-01T08:00:00Z/2024-02-15T08:00:00Z, P30D/2024-02-15T08:00:00Z). Default: 30 days.',
			},
		],
	},
];

const displayOptions = { show: { resource: ['advancedHunting'], operation: ['runQuery'] } };

export const description = updateDisplayOptions(displayOptions, properties);

const DURATION = /^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

function isTimespanPart(part: string): boolean {
	if (DURATION.test(part)) return true;
	return DATETIME.test(part) && !Number.isNaN(Date.parse(part));
}

/** ISO-8601 duration, datetime, or an interval of two of them (not two durations). */
export function isValidTimespan(value: string): boolean {
	const parts = value.split('/');
	if (parts.length === 1) return isTimespanPart(parts[0]);
	if (parts.length !== 2 || !parts.every(isTimespanPart)) return false;
	return !(DURATION.test(parts[0]) && DURATION.test(parts[1]));
}

export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const api = readApi(this, i);
	const query = requireText(
		this,
		i,
		'query',
		'Query (KQL)',
		'Enter a KQL query, e.g. DeviceInfo | take 10. An empty query is not sent to Microsoft.',
	).trim();
	const output = this.getNodeParameter('output', i, 'perRow') as string;
	const options = api === 'graph' ? (this.getNodeParameter('options', i, {}) as IDataObject) : {};
	const timespan = String(options.timespan ?? '').trim();
	if (timespan && !isValidTimespan(timespan)) {
		throw failInput(
			this,
			i,
			`The parameter "Timespan" is not an ISO 8601 duration or interval: "${timespan}"`,
			'Use e.g. P7D (7 days), PT12H, 2024-02-01T08:00:00Z, or 2024-02-01T08:00:00Z/2024-02-15T08:00:00Z.',
		);
	}

	// Hunting only reads: a retry after a 5xx cannot change anything in the tenant.
	const response =
		api === 'graph'
			? await defenderApiRequest.call(this, {
					api: 'graph',
					method: 'POST',
					path: '/v1.0/security/runHuntingQuery',
					body: timespan ? { Query: query, Timespan: timespan } : { Query: query },
					headers: { 'Content-Type': 'application/json; charset=utf-8' },
					idempotent: true,
					itemIndex: i,
					operation: OPERATIONS.advancedHunting.runQuery,
				})
			: await defenderApiRequest.call(this, {
					api: 'mde',
					method: 'POST',
					path: '/api/advancedqueries/run',
					body: { Query: query },
					headers: { 'Content-Type': 'application/json; charset=utf-8' },
					idempotent: true,
					itemIndex: i,
					operation: OPERATIONS.advancedHunting.runQuery,
				});

	const result = normaliseHuntingResult(response);
	if (output === 'single') {
		return toItems.call(this, {
			rows: result.rows,
			schema: result.schema as unknown as IDataObject[],
			stats: result.stats,
			rowCount: result.rows.length,
		}, i);
	}
	return toItems.call(this, result.rows, i);
}
