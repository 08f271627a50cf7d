export async function handler(event) {
  return { statusCode: 200 };
}
