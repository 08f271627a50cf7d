export const tableName = process.env.TABLE ?? 'orders';
