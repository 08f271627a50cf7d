exports.handler = async (event) => ({ statusCode: 200 });
