exports.handler = async function (event, context, unused = null) {
  return { statusCode: 200, body: String(unused) };
};
