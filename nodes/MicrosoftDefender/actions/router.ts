import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import * as advancedHunting from './advancedHunting';
import * as alert from './alert';
import * as connection from './connection';
import * as incident from './incident';
import * as indicator from './indicator';
import * as liveResponse from './liveResponse';
import * as machine from './machine';
import * as machineAction from './machineAction';
import * as software from './software';
import * as vulnerability from './vulnerability';
import { findOperation, type Operation, type Resource } from './operations';

/** What every operation file exports. */
export interface OperationModule {
	description: INodeProperties[];
	execute: (this: IExecuteFunctions, itemIndex: number) => Promise<INodeExecutionData[]>;
}

/**
 * The module of every row of the operation table (operations.ts), typed by it: a row without a
 * module does not compile. An Operation option whose value is not a row does not compile either
 * (OperationParameter in each resource's index.ts); a row without an option fails
 * operations.table.test.ts.
 */
export const OPERATION_MODULES: { [R in Resource]: { [O in Operation<R>]: OperationModule } } = {
	advancedHunting,
	alert,
	connection,
	incident,
	indicator,
	liveResponse,
	machine,
	machineAction,
	software,
	vulnerability,
};

/** The module of a row, looked up with the row's own resource (keeps resource and operation paired). */
function moduleOf<R extends Resource>(resource: R, operation: Operation<R>): OperationModule {
	const modules: { [O in Operation<R>]: OperationModule } = OPERATION_MODULES[resource];
	return modules[operation];
}

function runsAsAgentTool(ctx: IExecuteFunctions): boolean {
	// n8n registers a usableAsTool node a second time with the type name suffixed "Tool".
	return ctx.getNode().type.endsWith('Tool');
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];

	const resource = String(this.getNodeParameter('resource', 0));
	const operation = String(this.getNodeParameter('operation', 0));

	const row = findOperation(resource, operation);
	if (!row) {
		throw new NodeOperationError(
			this.getNode(),
			`The operation "${operation}" of resource "${resource}" is not supported`,
		);
	}

	const module = moduleOf(row.resource, row.operation);

	if (runsAsAgentTool(this) && row.destructive) {
		const allowed = this.getNodeParameter('allowDestructiveForAgents', 0, false) as boolean;
		if (!allowed) {
			throw new NodeOperationError(
				this.getNode(),
				`The AI agent tried to run "${resource}: ${operation}", which changes your tenant`,
				{
					description:
						'Response actions are off for AI agents by default. Switch on "Allow for AI Agents" on this operation if the agent may run them.',
				},
			);
		}
	}

	for (let i = 0; i < items.length; i++) {
		try {
			const result = await module.execute.call(this, i);
			// Not push(...result): spreading 100,000+ rows (hunting, Return All) overflows the stack.
			for (const item of result) returnData.push(item);
		} catch (error) {
			if (this.continueOnFail()) {
				const json: IDataObject = { error: error.message };
				if (error.description) json.description = error.description;
				if (error.httpCode) json.httpCode = error.httpCode;
				returnData.push({ json, pairedItem: { item: i } });
				continue;
			}
			if (error instanceof NodeApiError) {
				// The constructor hands back the same instance; only the item index is added.
				error.context.itemIndex = i;
				throw new NodeApiError(this.getNode(), error as unknown as JsonObject, { itemIndex: i });
			}
			if (error instanceof NodeOperationError) error.context.itemIndex = i;
			throw new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });
		}
	}

	return [returnData];
}
