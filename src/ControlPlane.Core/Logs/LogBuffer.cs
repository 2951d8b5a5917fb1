using System.Collections;

namespace ControlPlane.Core.Logs;

/// <summary>
/// The last <see cref="Capacity"/> lines, oldest first: a ring, so a chatty service costs bounded memory
/// and appending never copies what is kept.
/// </summary>
public sealed class LogBuffer(int capacity = LogBuffer.DefaultCapacity) : IReadOnlyList<LogLine>
{
    public const int DefaultCapacity = 10_000;

    private readonly LogLine[] _items = new LogLine[capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity))];
    private int _start;

    public int Capacity => _items.Length;

    public int Count { get; private set; }

    /// <summary>Lines pushed out at the front since the last <see cref="Clear"/>.</summary>
    public long Dropped { get; private set; }

    public LogLine this[int index] =>
        (uint)index < (uint)Count ? _items[(_start + index) % _items.Length] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Append(IEnumerable<LogLine> lines)
    {
        foreach (var line in lines)
        {
            if (Count < _items.Length)
            {
                _items[(_start + Count) % _items.Length] = line;
                Count++;
            }
            else
            {
                _items[_start] = line;
                _start = (_start + 1) % _items.Length;
                Dropped++;
            }
        }
    }

    public void Clear()
    {
        Array.Clear(_items);
        _start = 0;
        Count = 0;
        Dropped = 0;
    }

    public IEnumerator<LogLine> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
