declare const process: { env: Record<string, string | undefined> };

export const table: string = process.env.TABLE ?? 'orders';
