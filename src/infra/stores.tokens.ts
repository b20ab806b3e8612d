export const RESOLVED_STORES = Symbol('RESOLVED_STORES');
