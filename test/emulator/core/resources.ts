/**
 * Resource identifiers (token audiences) the emulator's Entra knows, from the emulator's own
 * cloud table (clouds.ts; never the package's), so every cloud's scope works against it.
 */
import type { ApiFamily } from '../types';
import { EMULATED_CLOUDS } from './clouds';

/**
 * Extra identifiers that real Entra accepts for the same resource apps (defender-api.md §1.1):
 * the legacy MDE identifier. Keep additions here, never elsewhere.
 */
const EXTRA_RESOURCES: Array<[string, ApiFamily]> = [
	['https://api.securitycenter.windows.com', 'mde'],
];

function build(): Map<string, ApiFamily> {
	const map = new Map<string, ApiFamily>();
	for (const cloud of Object.values(EMULATED_CLOUDS)) {
		for (const [family, endpoint] of Object.entries(cloud.api) as Array<[ApiFamily, { resource: string }]>) {
			const resource = endpoint.resource;
			const existing = map.get(normalizeResource(resource));
			if (existing && existing !== family) {
				throw new Error(`clouds.ts maps ${resource} to both ${existing} and ${family}`);
			}
			map.set(normalizeResource(resource), family);
		}
	}
	for (const [resource, family] of EXTRA_RESOURCES) map.set(normalizeResource(resource), family);
	return map;
}

/** Entra compares resource identifiers case-insensitively and ignores one trailing slash. */
export function normalizeResource(resource: string): string {
	return resource.toLowerCase().replace(/\/$/, '');
}

export const RESOURCES: ReadonlyMap<string, ApiFamily> = build();

/**
 * Data-plane resources Entra issues tokens for without app roles (access is Azure RBAC on the
 * resource): Azure Storage ("Authorize access to blobs using Microsoft Entra ID"), read by the
 * streaming-export trigger against Azurite.
 */
export const DATA_PLANE_RESOURCES: ReadonlySet<string> = new Set([normalizeResource('https://storage.azure.com')]);

export function isDataPlaneResource(resource: string): boolean {
	return DATA_PLANE_RESOURCES.has(normalizeResource(resource));
}

export function familyOfResource(resource: string): ApiFamily | undefined {
	return RESOURCES.get(normalizeResource(resource));
}

/** The global-cloud resource identifier per family (for messages and tests). */
export const GLOBAL_RESOURCE: Record<ApiFamily, string> = {
	mde: EMULATED_CLOUDS.global.api.mde.resource,
	xdr: EMULATED_CLOUDS.global.api.xdr.resource,
	graph: EMULATED_CLOUDS.global.api.graph.resource,
};
