package ewsserver

import "github.com/mailbridge/mailbridge/internal/ews"

// operations returns the dispatch table for every operation b implements. Each operation
// has its own …Backend interface, declared in the file named after it.
func operations(b Backend) map[string]operation {
	ops := make(map[string]operation)
	if x, ok := b.(GetFolderBackend); ok {
		ops[ews.OpGetFolder] = unary(x.GetFolder)
	}
	return ops
}
