/**
 * What a Graph collection does with `$orderby` where Microsoft documents none (*List alerts_v2*:
 * `$count, $filter, $skip, $top`; *List incidents* adds `$expand`). A published live probe saw it
 * accepted and silently ignored, so strict mode ignores it and serves pages in an order that
 * follows no timestamp:
 * - `shuffled`: a seeded hash of the record ID (stable while the data does not change, so the
 *   pages of one query snapshot neither lose nor repeat a record);
 * - `reverse`: newest `lastUpdateDateTime` first (the opposite of the `asc` a careless client asks for);
 * - `honoured`: `$orderby` applied, as the legacy `/security/alerts` page documented (lenient).
 * The seeded strict choice is `EmulatorVariants.undocumentedOrderBy` (contract.ts).
 */
export type OrderVariant = 'shuffled' | 'reverse' | 'honoured';
export const ORDER_VARIANTS: readonly OrderVariant[] = ['shuffled', 'reverse', 'honoured'];

/** A store's setting: a pinned variant, or `auto` = strict mode's seeded variant (lenient: honoured). */
export type StoreOrder = OrderVariant | 'auto';
