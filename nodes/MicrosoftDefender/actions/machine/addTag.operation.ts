import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { executeTag, tagDescription } from './tag';

export const description = tagDescription('addTag');

/** Add a tag to a machine. Returns the updated machine. */
export async function execute(this: IExecuteFunctions, i: number): Promise<INodeExecutionData[]> {
	return await executeTag.call(this, i, 'Add');
}
