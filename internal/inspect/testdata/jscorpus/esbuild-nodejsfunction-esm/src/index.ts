import type { Context } from './types';
import { table } from './config';

export const handler = async (event: { id?: string }, context: Context): Promise<{ statusCode: number; body: string }> => {
  return { statusCode: 200, body: `${table}/${event.id ?? context.awsRequestId ?? ''}` };
};
