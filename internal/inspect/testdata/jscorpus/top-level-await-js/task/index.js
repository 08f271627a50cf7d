const config = await Promise.resolve({ table: 't' });

export const handler = async () => ({ statusCode: 200, body: config.table });
