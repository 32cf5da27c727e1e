import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { returnAllOrLimit } from '../../descriptions/common';
import { defenderApiRequestAllItems } from '../../transport';
import { and, anyOf, eq } from '../../helpers/odata';
import { INDICATOR_FILTER_ACTIONS, INDICATOR_TYPES, toItems } from './common';

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		options: [
			{
				displayName: 'Action',
				name: 'action',
				type: 'multiOptions',
				options: INDICATOR_FILTER_ACTIONS,
				default: [],
			},
			{
				displayName: 'Indicator Type',
				name: 'indicatorType',
				type: 'multiOptions',
				options: INDICATOR_TYPES,
				default: [],
			},
			{
				displayName: 'Indicator Value',
				name: 'indicatorValue',
				type: 'string',
				default: '',
				placeholder: 'e.g. malicious.example.com',
				description: 'Only the indicator with exactly this value',
			},
		],
	},
];

const displayOptions = { show: { resource: ['indicator'], operation: ['getAll'] } };

export const description = updateDisplayOptions(displayOptions, properties);

/** List custom indicators (with Ti.ReadWrite, only the app's own indicators are returned). */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	const returnAll = this.getNodeParameter('returnAll', i, false) as boolean;
	const limit = returnAll ? undefined : (this.getNodeParameter('limit', i, 50) as number);
	const filters = this.getNodeParameter('filters', i, {}) as IDataObject;
	const value = typeof filters.indicatorValue === 'string' ? filters.indicatorValue.trim() : '';
	const filter = and(
		anyOf('indicatorType', (filters.indicatorType as string[] | undefined) ?? []),
		value !== '' ? eq('indicatorValue', value) : undefined,
		anyOf('action', (filters.action as string[] | undefined) ?? []),
	);
	const indicators = await defenderApiRequestAllItems.call(
		this,
		{
			api: 'mde',
			method: 'GET',
			path: '/api/indicators',
			qs: filter ? { $filter: filter } : {},
			itemIndex: i,
			operation: { resource: 'indicator', operation: 'getAll' },
		},
		{ endpoint: 'mdeIndicators', limit },
	);
	return toItems.call(this, indicators, i);
}
