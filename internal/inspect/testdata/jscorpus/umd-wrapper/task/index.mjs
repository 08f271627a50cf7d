import './vendor/umd.cjs';

const root = typeof module === 'object' && module.exports ? module.exports : globalThis;
export const handler = async () => ({ statusCode: 200, body: typeof root });
