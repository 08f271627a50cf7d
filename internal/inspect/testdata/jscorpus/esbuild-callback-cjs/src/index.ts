import type { Context } from './types';
import { table } from './config';

type Callback = (err: Error | null, result?: { statusCode: number; body: string }) => void;

export const handler = (event: { id?: string }, context: Context, callback: Callback): void => {
  callback(null, { statusCode: 200, body: `${table}/${event.id ?? context.awsRequestId ?? ''}` });
};
