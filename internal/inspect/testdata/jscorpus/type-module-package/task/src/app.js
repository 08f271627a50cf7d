import { tableName } from './config.js';

const cached = await Promise.resolve(tableName);

export async function handler(event) {
  return { statusCode: 200, body: cached };
}
