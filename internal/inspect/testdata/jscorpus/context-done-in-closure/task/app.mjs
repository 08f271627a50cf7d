export const handler = async (event, context) => {
  const finish = (result) => context.done(null, result);
  finish({ statusCode: 200 });
};
