namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>
/// One random cut tree over at most <c>capacity</c> distinct points, in flat arrays (no allocation per point). A leaf's
/// bounding box is its point; duplicates share a leaf and raise its mass. Cuts are drawn on the box merged with the new
/// point, dimension chosen in proportion to its side length (Guha et al., 2016).
/// </summary>
internal sealed class RandomCutTree
{
    private const int None = -1;

    private readonly int dims;
    private readonly Node[] nodes;
    private readonly int[] parent;
    private readonly int[] mass;
    private readonly double[] boxMin;
    private readonly double[] boxMax;
    private readonly int[] free;
    private readonly int[] path;
    private int freeCount;
    private int root = None;

    public RandomCutTree(int dims, int capacity)
    {
        this.dims = dims;
        var count = (2 * capacity) + 1;
        nodes = new Node[count];
        parent = new int[count];
        mass = new int[count];
        boxMin = new double[count * dims];
        boxMax = new double[count * dims];
        free = new int[count];
        path = new int[count];
        for (var i = 0; i < count; i++)
        {
            free[i] = count - 1 - i;
        }

        freeCount = count;
    }

    // The fields a descent reads, together in one cache line.
    private struct Node
    {
        public int Left;
        public int Right;
        public int CutDim;
        public double CutValue;
    }

    public int Mass => root == None ? 0 : mass[root];

    /// <summary>Inserts a point; returns the leaf that holds it (the sampler keeps it to delete the point later).</summary>
    public int Insert(ReadOnlySpan<double> p, ref SplitMix64 rng)
    {
        if (root == None)
        {
            root = NewLeaf(p, None);
            return root;
        }

        var node = root;
        while (true)
        {
            var b = node * dims;
            var rangeSum = 0.0;
            for (var d = 0; d < dims; d++)
            {
                rangeSum += Math.Max(boxMax[b + d], p[d]) - Math.Min(boxMin[b + d], p[d]);
            }

            if (rangeSum <= 0)
            {
                // Only a leaf's box can be a single point equal to p: a duplicate.
                mass[node]++;
                return node;
            }

            var r = rng.NextDouble() * rangeSum;
            var dim = -1;
            var cut = 0.0;
            for (var d = 0; d < dims; d++)
            {
                var lo = Math.Min(boxMin[b + d], p[d]);
                var range = Math.Max(boxMax[b + d], p[d]) - lo;
                if (range <= 0)
                {
                    continue;
                }

                dim = d;
                if (r < range)
                {
                    cut = lo + r;
                    break;
                }

                r -= range;
                cut = lo + (range / 2); // rounding fell off the end: the last dimension with a range, cut at its middle
            }

            var hi = Math.Max(boxMax[b + dim], p[dim]);
            if (cut >= hi)
            {
                cut = Math.BitDecrement(hi);
            }

            var separated = (p[dim] <= cut && cut < boxMin[b + dim]) || (p[dim] > cut && cut >= boxMax[b + dim]);
            if (separated || IsLeaf(node))
            {
                return Split(node, p, dim, cut);
            }

            mass[node]++;
            for (var d = 0; d < dims; d++)
            {
                boxMin[b + d] = Math.Min(boxMin[b + d], p[d]);
                boxMax[b + d] = Math.Max(boxMax[b + d], p[d]);
            }

            node = p[nodes[node].CutDim] <= nodes[node].CutValue ? nodes[node].Left : nodes[node].Right;
        }
    }

    /// <summary>Removes one copy of the point held by <paramref name="leaf"/>.</summary>
    public void Delete(int leaf)
    {
        for (var n = leaf; n != None; n = parent[n])
        {
            mass[n]--;
        }

        if (mass[leaf] > 0)
        {
            return;
        }

        var up = parent[leaf];
        Free(leaf);
        if (up == None)
        {
            root = None;
            return;
        }

        var sibling = nodes[up].Left == leaf ? nodes[up].Right : nodes[up].Left;
        var grand = parent[up];
        parent[sibling] = grand;
        ReplaceChild(grand, up, sibling);
        Free(up);

        // Boxes above shrink only while the removed point was on their boundary.
        for (var n = grand; n != None; n = parent[n])
        {
            if (!RecomputeBox(n))
            {
                break;
            }
        }
    }

    /// <summary>The standard RCF anomaly score of <paramref name="p"/> in this tree, normalised by log2(mass + 1).</summary>
    public double Score(ReadOnlySpan<double> p)
    {
        if (root == None)
        {
            return 0;
        }

        var depth = Descend(p, out var leaf);
        var score = LeafScore(p, leaf, depth);
        for (var i = depth - 1; i >= 0; i--)
        {
            var b = path[i] * dims;
            double outside = 0, range = 0;
            for (var d = 0; d < dims; d++)
            {
                var lo = boxMin[b + d];
                var hi = boxMax[b + d];
                range += hi - lo;
                if (p[d] < lo)
                {
                    outside += lo - p[d];
                }
                else if (p[d] > hi)
                {
                    outside += p[d] - hi;
                }
            }

            if (outside <= 0)
            {
                break; // inside this box, hence inside every box above it
            }

            var prob = outside / (range + outside);
            score = (prob / (i + 1)) + ((1 - prob) * score);
        }

        return score * Math.Log2(mass[root] + 1.0);
    }

    /// <summary>Adds this tree's attribution of the score to <paramref name="high"/> and <paramref name="low"/> (per dimension; they sum to <see cref="Score"/>).</summary>
    public void Attribute(ReadOnlySpan<double> p, Span<double> high, Span<double> low)
    {
        if (root == None)
        {
            return;
        }

        Span<double> hi = stackalloc double[dims];
        Span<double> lo = stackalloc double[dims];
        var depth = Descend(p, out var leaf);
        var lb = leaf * dims;
        var duplicate = mass[leaf] > 0 && Equals(p, lb);
        var score = LeafScore(p, leaf, depth);
        if (duplicate)
        {
            hi.Fill(score / (2 * dims));
            lo.Fill(score / (2 * dims));
        }
        else
        {
            var total = 0.0;
            for (var d = 0; d < dims; d++)
            {
                total += Math.Abs(p[d] - boxMin[lb + d]);
            }

            for (var d = 0; d < dims; d++)
            {
                var gap = p[d] - boxMin[lb + d];
                hi[d] = gap > 0 ? score * gap / total : 0;
                lo[d] = gap < 0 ? -score * gap / total : 0;
            }
        }

        for (var i = depth - 1; i >= 0; i--)
        {
            var b = path[i] * dims;
            double outside = 0, range = 0;
            for (var d = 0; d < dims; d++)
            {
                range += boxMax[b + d] - boxMin[b + d];
                outside += Math.Max(0, boxMin[b + d] - p[d]) + Math.Max(0, p[d] - boxMax[b + d]);
            }

            if (outside <= 0)
            {
                break;
            }

            var newRange = range + outside;
            var prob = outside / newRange;
            var unseen = 1.0 / (i + 1);
            for (var d = 0; d < dims; d++)
            {
                hi[d] = (unseen * Math.Max(0, p[d] - boxMax[b + d]) / newRange) + ((1 - prob) * hi[d]);
                lo[d] = (unseen * Math.Max(0, boxMin[b + d] - p[d]) / newRange) + ((1 - prob) * lo[d]);
            }
        }

        var scale = Math.Log2(mass[root] + 1.0);
        for (var d = 0; d < dims; d++)
        {
            high[d] += hi[d] * scale;
            low[d] += lo[d] * scale;
        }
    }

    /// <summary>Writes the tree from the root down: cuts and masses of inner nodes, points of leaves (boxes are rebuilt on load).</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(root);
        w.Write(freeCount);
        for (var i = 0; i < freeCount; i++)
        {
            w.Write(free[i]);
        }

        if (root != None)
        {
            SaveSubtree(w, root);
        }
    }

    public void Load(BinaryReader r)
    {
        root = r.ReadInt32();
        freeCount = r.ReadInt32();
        for (var i = 0; i < freeCount; i++)
        {
            free[i] = r.ReadInt32();
        }

        if (root != None)
        {
            LoadSubtree(r, None);
        }
    }

    // Node numbers are kept: the samplers refer to leaves by number.
    private void SaveSubtree(BinaryWriter w, int n)
    {
        w.Write(n);
        w.Write(mass[n]);
        if (IsLeaf(n))
        {
            w.Write(None);
            for (var d = 0; d < dims; d++)
            {
                w.Write(boxMin[(n * dims) + d]);
            }

            return;
        }

        w.Write(nodes[n].CutDim);
        w.Write(nodes[n].CutValue);
        SaveSubtree(w, nodes[n].Left);
        SaveSubtree(w, nodes[n].Right);
    }

    private int LoadSubtree(BinaryReader r, int up)
    {
        var n = r.ReadInt32();
        if ((uint)n >= (uint)nodes.Length)
        {
            throw new InvalidDataException($"random cut tree state names node {n}; the tree has {nodes.Length}");
        }

        parent[n] = up;
        mass[n] = r.ReadInt32();
        var dim = r.ReadInt32();
        if (dim == None)
        {
            nodes[n] = new Node { Left = None, Right = None };
            for (var d = 0; d < dims; d++)
            {
                boxMin[(n * dims) + d] = boxMax[(n * dims) + d] = r.ReadDouble();
            }

            return n;
        }

        nodes[n].CutDim = dim;
        nodes[n].CutValue = r.ReadDouble();
        nodes[n].Left = LoadSubtree(r, n);
        nodes[n].Right = LoadSubtree(r, n);
        RecomputeBox(n);
        return n;
    }

    private double LeafScore(ReadOnlySpan<double> p, int leaf, int depth)
    {
        if (Equals(p, leaf * dims))
        {
            // Seen before: damped by how much of the tree the duplicates make up.
            double m = mass[leaf], total = mass[root];
            return (1 - (m / (2 * total))) / (depth + Math.Log2(m + 1));
        }

        return 1.0 / (depth + 1);
    }

    private int Descend(ReadOnlySpan<double> p, out int leaf)
    {
        var node = root;
        var depth = 0;
        while (!IsLeaf(node))
        {
            path[depth++] = node;
            node = p[nodes[node].CutDim] <= nodes[node].CutValue ? nodes[node].Left : nodes[node].Right;
        }

        leaf = node;
        return depth;
    }

    private bool Equals(ReadOnlySpan<double> p, int boxOffset)
    {
        for (var d = 0; d < dims; d++)
        {
            if (p[d] != boxMin[boxOffset + d])
            {
                return false;
            }
        }

        return true;
    }

    private bool IsLeaf(int node) => nodes[node].Left == None;

    private int Split(int node, ReadOnlySpan<double> p, int dim, double cut)
    {
        var up = parent[node];
        var inner = Allocate();
        var leaf = NewLeaf(p, inner);
        nodes[inner].CutDim = dim;
        nodes[inner].CutValue = cut;
        mass[inner] = mass[node] + 1;
        parent[inner] = up;
        var b = node * dims;
        var ib = inner * dims;
        for (var d = 0; d < dims; d++)
        {
            boxMin[ib + d] = Math.Min(boxMin[b + d], p[d]);
            boxMax[ib + d] = Math.Max(boxMax[b + d], p[d]);
        }

        if (p[dim] <= cut)
        {
            nodes[inner].Left = leaf;
            nodes[inner].Right = node;
        }
        else
        {
            nodes[inner].Left = node;
            nodes[inner].Right = leaf;
        }

        parent[node] = inner;
        ReplaceChild(up, node, inner);
        return leaf;
    }

    private void ReplaceChild(int up, int old, int replacement)
    {
        if (up == None)
        {
            root = replacement;
        }
        else if (nodes[up].Left == old)
        {
            nodes[up].Left = replacement;
        }
        else
        {
            nodes[up].Right = replacement;
        }
    }

    private bool RecomputeBox(int n)
    {
        var b = n * dims;
        var lb = nodes[n].Left * dims;
        var rb = nodes[n].Right * dims;
        var changed = false;
        for (var d = 0; d < dims; d++)
        {
            var lo = Math.Min(boxMin[lb + d], boxMin[rb + d]);
            var hi = Math.Max(boxMax[lb + d], boxMax[rb + d]);
            changed |= lo != boxMin[b + d] || hi != boxMax[b + d];
            boxMin[b + d] = lo;
            boxMax[b + d] = hi;
        }

        return changed;
    }

    private int NewLeaf(ReadOnlySpan<double> p, int up)
    {
        var n = Allocate();
        nodes[n].Left = None;
        nodes[n].Right = None;
        parent[n] = up;
        mass[n] = 1;
        p.CopyTo(boxMin.AsSpan(n * dims, dims));
        p.CopyTo(boxMax.AsSpan(n * dims, dims));
        return n;
    }

    private int Allocate() =>
        freeCount > 0 ? free[--freeCount] : throw new InvalidOperationException("random cut tree is over its capacity");

    private void Free(int n)
    {
        nodes[n].Left = None;
        nodes[n].Right = None;
        parent[n] = None;
        mass[n] = 0;
        free[freeCount++] = n;
    }
}
