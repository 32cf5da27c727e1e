import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { filtersCollection, multiFilter, returnAllOrLimit } from '../../descriptions/common';
import { and, anyOf, eq } from '../../helpers/odata';
import { readFilterText, readOptionList } from '../../helpers/validate';
import { readFilters, readMdeList, readReturnAllLimit, toItems } from '../common';
import { INDICATOR_FILTER_ACTIONS, INDICATOR_TYPES } from './common';
import { OPERATIONS } from '../operations';

const properties: INodeProperties[] = [
	...returnAllOrLimit,
	{
		...filtersCollection,
		options: [
			multiFilter('Action', 'action', INDICATOR_FILTER_ACTIONS),
			multiFilter('Indicator Type', 'indicatorType', INDICATOR_TYPES),
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
	const limit = readReturnAllLimit(this, i);
	const { filters, at } = readFilters(this, i);
	const node = this.getNode();
	const value = readFilterText(node, filters.indicatorValue, at('Indicator Value'));
	const filter = and(
		anyOf('indicatorType', readOptionList(node, filters.indicatorType, { ...at('Indicator Type'), allowed: INDICATOR_TYPES })),
		value !== undefined ? eq('indicatorValue', value) : undefined,
		anyOf('action', readOptionList(node, filters.action, { ...at('Action'), allowed: INDICATOR_FILTER_ACTIONS })),
	);
	const list = { path: '/api/indicators', filter, endpoint: 'mdeIndicators', operation: OPERATIONS.indicator.getAll } as const;
	const indicators = await readMdeList.call(this, i, list, limit);
	return toItems.call(this, indicators, i);
}
