// The test node's sandbox (pause) image program. Standard library only.
module testcluster.local/pause

go 1.26.0
