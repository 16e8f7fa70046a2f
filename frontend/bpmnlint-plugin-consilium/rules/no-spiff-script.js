const { spiffExtensions } = require('./helper');

const SCRIPTS = [ 'preScript', 'postScript', 'script', 'formLoadScript' ];

/** spiffworkflow:preScript, postScript and script run Python: not allowed in Consilium. */
module.exports = function() {
  function check(node, reporter) {
    if (!node.extensionElements) {
      return;
    }
    for (const name of SCRIPTS) {
      if (spiffExtensions(node, name).length) {
        reporter.report(node.id, `spiffworkflow:${name} runs code and is not allowed`);
      }
    }
  }
  return { check };
};
