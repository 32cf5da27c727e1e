import type { IDataObject, ILoadOptionsFunctions, INodeListSearchResult, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { mdeRequest } from '../../transport/mde';
import { startsWith } from '../../helpers/odata';
import { OPERATIONS } from '../../actions/operations';

const PAGE_SIZE = 100;

/**
 * Machines for the "From List" mode of the machine picker: names starting with the typed text
 * (escaped into the OData filter), 100 per page, paged with `$skip`.
 */
export async function searchMachines(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const skip = paginationToken ? parseInt(paginationToken, 10) || 0 : 0;
	const qs: IDataObject = { $top: PAGE_SIZE, $skip: skip };
	const text = (filter ?? '').trim();
	if (text !== '') qs.$filter = startsWith('computerDnsName', text);

	let machines: IDataObject[] = [];
	try {
		const response = await mdeRequest.call(this, {
			method: 'GET',
			path: '/api/machines',
			qs,
			operation: OPERATIONS.machine.getAll,
		});
		machines = Array.isArray(response.value) ? (response.value as IDataObject[]) : [];
	} catch (error) {
		// No recent machines: Microsoft answers 404 instead of an empty list.
		if (String((error as { httpCode?: unknown }).httpCode) !== '404') {
			throw new NodeApiError(this.getNode(), error as JsonObject);
		}
	}

	return {
		results: machines.map((machine) => ({
			name: `${String(machine.computerDnsName ?? machine.id)}${machine.osPlatform ? ` (${String(machine.osPlatform)})` : ''}`,
			value: String(machine.id),
		})),
		paginationToken: machines.length === PAGE_SIZE ? String(skip + PAGE_SIZE) : undefined,
	};
}
