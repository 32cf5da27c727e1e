// listSearch and loadOptions methods, registered on the node. Owners add their files here.
export const listSearch = {};
export const loadOptions = {};
