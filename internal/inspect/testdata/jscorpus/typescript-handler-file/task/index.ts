export const handler = async (event: { id?: string }): Promise<{ statusCode: number }> => ({ statusCode: 200 });
