export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.write('ok');
  responseStream.end();
});
